"""Every API error has one shape, {"error", "detail", "fields"}, including the ones Django and
DRF raise before any of our views run."""

import pytest

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}
    assert body["error"] == code
    assert body["detail"]
    return body


def test_an_unknown_api_path_is_a_json_404(client):
    body = assert_error(client.get("/api/no-such-thing"), 404, "not_found")

    assert body["fields"] == {}


def test_an_unknown_page_outside_the_api_stays_html(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_405_in_the_same_shape(api):
    body = assert_error(api.get("/api/auth/login"), 405, "method_not_allowed")

    assert "GET" in body["detail"]


def test_a_malformed_json_body_is_a_400(api):
    response = api.post(
        "/api/auth/login", data='{"drupal_token": ', content_type="application/json"
    )

    assert_error(response, 400, "malformed_request")


def test_an_unsupported_content_type_is_a_415(api):
    response = api.post("/api/auth/login", data="drupal_token=x", content_type="text/plain")

    assert_error(response, 415, "unsupported_media_type")


def test_a_validation_error_names_each_field(fan):
    response = fan.post("/api/users/me/push-tokens", {"device_id": "phone-1"}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"fcm_token", "platform"}
    assert body["detail"].startswith(("fcm_token: ", "platform: "))
