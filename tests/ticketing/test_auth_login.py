"""POST /api/auth/login: a webshop (Drupal SSO) token is exchanged for API tokens, creating the
local user on first login and keeping email and status in step afterwards."""

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from core.models import AuditEvent
from tests.conftest import sso_token
from ticketing.models import ApiSession, User, UserStatus
from ticketing.sso import local_signing_key
from ticketing.tokens import refresh_token_hash

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
ERROR_KEYS = {"error", "detail", "fields"}


@pytest.fixture(scope="module")
def stranger_key():
    """An RSA key the platform has never heard of."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signed(key=None, **claims) -> str:
    """A webshop-style token with any claim overridden (None drops it)."""
    now = int(time.time())
    body = {
        "iss": settings.SSO_ISSUER,
        "aud": settings.SSO_AUDIENCE,
        "sub": "drupal-7",
        "email": "fan@example.com",
        "status": "active",
        "iat": now,
        "exp": now + 3600,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key or local_signing_key(), algorithm="RS256")


def test_it_exchanges_a_webshop_token_for_api_tokens(api):
    response = api.post(
        LOGIN,
        {"drupal_token": sso_token("fan@example.com", "drupal-7"), "device_id": "phone-1"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] and body["refresh_token"]
    assert body["user"] == {
        "id": User.objects.get().pk,
        "email": "fan@example.com",
        "status": "ACTIVE",
        "drupal_user_id": "drupal-7",
    }

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.get("/api/users/me/profile").json()["error"] == "profile_not_found"


def test_the_first_login_creates_the_local_user(api):
    assert not User.objects.exists()

    api.post(LOGIN, {"drupal_token": sso_token("Fan@Example.com", "drupal-7")}, format="json")

    user = User.objects.get()
    assert (user.email, user.drupal_user_id, user.status) == (
        "fan@example.com",
        "drupal-7",
        UserStatus.ACTIVE,
    )
    assert not user.has_usable_password()
    event = AuditEvent.objects.get(action="user.created_from_sso")
    assert event.object_id == str(user.pk)


def test_a_later_login_syncs_a_changed_email_and_audits_it(api):
    api.post(LOGIN, {"drupal_token": sso_token("old@example.com", "drupal-7")}, format="json")

    response = api.post(
        LOGIN, {"drupal_token": sso_token("new@example.com", "drupal-7")}, format="json"
    )

    assert response.status_code == 200
    user = User.objects.get()
    assert user.email == "new@example.com"
    assert response.json()["user"]["email"] == "new@example.com"
    event = AuditEvent.objects.get(action="user.synced_from_sso")
    assert event.object_id == str(user.pk)
    assert event.before["email"] == "old@example.com"
    assert event.after["email"] == "new@example.com"


def test_an_unchanged_login_writes_no_sync_event(api):
    token = sso_token("fan@example.com", "drupal-7")
    api.post(LOGIN, {"drupal_token": token}, format="json")
    api.post(LOGIN, {"drupal_token": token}, format="json")

    assert not AuditEvent.objects.filter(action="user.synced_from_sso").exists()


def test_it_links_an_existing_fan_account_with_the_same_email(api, make_user):
    """A quota recipient's account, made before they ever signed in (never a back-office
    account: tests/ticketing/test_sso_back_office.py)."""
    recipient = make_user("vip@example.com")

    response = api.post(
        LOGIN, {"drupal_token": sso_token("vip@example.com", "drupal-9")}, format="json"
    )

    assert response.status_code == 200
    recipient.refresh_from_db()
    assert recipient.drupal_user_id == "drupal-9"
    assert User.objects.count() == 1


def test_it_refuses_an_email_that_belongs_to_another_webshop_account(api):
    api.post(LOGIN, {"drupal_token": sso_token("fan@example.com", "drupal-1")}, format="json")

    response = api.post(
        LOGIN, {"drupal_token": sso_token("fan@example.com", "drupal-2")}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"] == "email_taken"
    assert User.objects.count() == 1


@pytest.mark.parametrize("drupal_status", ["blocked", 0, "0"])
def test_a_blocked_webshop_account_is_suspended_and_refused(api, drupal_status):
    token = sso_token("fan@example.com", "drupal-7", status=drupal_status)

    response = api.post(LOGIN, {"drupal_token": token}, format="json")

    assert response.status_code == 403
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "account_not_active"
    assert User.objects.get().status == UserStatus.SUSPENDED
    assert not ApiSession.objects.exists()


def test_it_rejects_a_token_signed_by_another_key(api, stranger_key):
    response = api.post(LOGIN, {"drupal_token": signed(stranger_key)}, format="json")

    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "sso_token_invalid"
    assert "drupal_token" in body["fields"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"iss": "someone-else"}, id="wrong issuer"),
        pytest.param({"aud": "another-app"}, id="wrong audience"),
        pytest.param({"email": None}, id="no email"),
        pytest.param({"sub": None}, id="no subject"),
    ],
)
def test_it_rejects_a_token_with_wrong_or_missing_claims(api, claims):
    response = api.post(LOGIN, {"drupal_token": signed(**claims)}, format="json")

    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "sso_token_invalid"
    assert not User.objects.exists()


def test_it_rejects_something_that_is_not_a_jwt(api):
    response = api.post(LOGIN, {"drupal_token": "not-a-token"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"] == "sso_token_invalid"


def test_it_rejects_an_expired_token(api):
    token = sso_token("fan@example.com", lifetime_seconds=-60)

    response = api.post(LOGIN, {"drupal_token": token}, format="json")

    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "sso_token_expired"
    assert body["fields"]["drupal_token"] == [body["detail"]]


def test_a_missing_drupal_token_is_a_400_naming_the_field(api):
    response = api.post(LOGIN, {"device_id": "phone-1"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "invalid"
    assert list(body["fields"]) == ["drupal_token"]


def test_the_session_stores_the_device_and_only_a_hash_of_the_refresh_token(api):
    now = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        response = api.post(
            LOGIN,
            {"drupal_token": sso_token("fan@example.com"), "device_id": "phone-1"},
            format="json",
        )

    refresh = response.json()["refresh_token"]
    session = ApiSession.objects.get()
    assert session.device_id == "phone-1"
    assert session.refresh_token_hash != refresh
    assert refresh not in session.refresh_token_hash
    assert session.refresh_token_hash == refresh_token_hash(refresh)
    assert session.expires_at == now + timedelta(days=7)
    assert session.revoked_at is None
