"""/api/docs/ and /api/schema/ exist only where API_DOCS_ENABLED (default: DEBUG)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/docs/", "/api/docs/?script=", "/api/schema/"])
def test_the_api_docs_answer_404_where_they_are_not_enabled(client, settings, path):
    settings.API_DOCS_ENABLED = False

    assert client.get(path).status_code == 404


def test_the_api_docs_load_their_script_from_a_url_not_inline(client, settings):
    settings.API_DOCS_ENABLED = True

    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200 and b"<script>" not in page.content
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    assert client.get("/api/schema/").status_code == 200
