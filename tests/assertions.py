"""Assertions shared by the API tests."""


def assert_error(response, status: int, code: str) -> dict:
    """The response is the API's error `code` with HTTP `status`; returns its body."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code, body
    return body
