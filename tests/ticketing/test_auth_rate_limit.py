"""POST /api/auth/login and /api/auth/refresh are rate limited per client address
(AUTH_THROTTLE_RATE, 30/min); a rotating X-Forwarded-For is a new client only when a trusted
proxy says so."""

import pytest

from core.models import AuditEvent
from tests.conftest import sso_token

pytestmark = pytest.mark.django_db

LIMIT = 30  # the default AUTH_THROTTLE_RATE: DRF reads its rates once, at import
PROXY = "10.0.0.5"
ENDPOINTS = [
    pytest.param("/api/auth/login", {"drupal_token": "not-a-token"}, id="login"),
    pytest.param("/api/auth/refresh", {"refresh_token": "not-a-token"}, id="refresh"),
]


def post(api, path, body, remote, forwarded):
    return api.post(path, body, format="json", REMOTE_ADDR=remote,
                    HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_a_rotating_forwarded_header_does_not_reset_the_limit(api, path, body):
    answers = [post(api, path, body, "203.0.113.9", f"198.51.100.{n}").status_code
               for n in range(LIMIT + 1)]

    assert 429 not in answers[:LIMIT]
    assert answers[LIMIT] == 429
    assert api.post(path, body, format="json", REMOTE_ADDR="203.0.113.9").status_code == 429


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
        api, settings, path, body):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for n in range(LIMIT):
        post(api, path, body, PROXY, f"6.6.6.{n}, 198.51.100.1")

    assert post(api, path, body, PROXY, "7.7.7.7, 198.51.100.1").status_code == 429
    assert post(api, path, body, PROXY, "198.51.100.2").status_code != 429
    assert post(api, path, body, "203.0.113.9", "198.51.100.1").status_code != 429


def test_a_login_through_the_proxy_is_audited_with_the_clients_address(api, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]

    response = post(api, "/api/auth/login", {"drupal_token": sso_token("fan@example.com")},
                    PROXY, "6.6.6.6, 198.51.100.1")

    assert response.status_code == 200
    assert AuditEvent.objects.get(action="user.created_from_sso").ip_address == "198.51.100.1"
