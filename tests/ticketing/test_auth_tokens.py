"""Access tokens (15 minutes), refresh with rotation and reuse detection (7 days), logout."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIRequestFactory

from core.models import AuditEvent, PushToken
from tests.assertions import assert_error
from tests.conftest import sso_token
from ticketing.authentication import AccessTokenAuthentication
from ticketing.models import ApiSession
from ticketing.tokens import ALGORITHM, access_token_issue, refresh_token_hash

pytestmark = pytest.mark.django_db

REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
PROFILE = "/api/users/me/profile"  # any authenticated endpoint; 404 until a profile exists
START = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def authenticated(client) -> bool:
    response = client.get(PROFILE)
    assert response.status_code in (401, 404), response.content
    return response.status_code == 404


def with_token(api, access_token):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return api


def test_an_access_token_lasts_15_minutes_then_points_to_refresh(login):
    with time_machine.travel(START, tick=False) as clock:
        fan = login("fan@example.com")
        clock.shift(timedelta(minutes=14, seconds=59))
        assert authenticated(fan)

        clock.shift(timedelta(minutes=1))
        response = fan.get(PROFILE)

    body = assert_error(response, 401, "authentication_failed")
    assert "/api/auth/refresh" in body["detail"]


def test_refresh_rotates_the_refresh_token(api, login):
    fan = login("fan@example.com")
    old = fan.tokens.refresh_token

    response = api.post(REFRESH, {"refresh_token": old}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] != old
    assert body["expires_in"] == 900
    session = ApiSession.objects.get()
    assert session.refresh_token_hash == refresh_token_hash(body["refresh_token"])
    assert session.refresh_token_hash != refresh_token_hash(old)
    assert authenticated(with_token(api, body["access_token"]))


def test_each_refresh_extends_the_session_by_7_days(api, login):
    with time_machine.travel(START, tick=False) as clock:
        fan = login("fan@example.com")
        clock.shift(timedelta(days=6))
        response = api.post(REFRESH, {"refresh_token": fan.tokens.refresh_token}, format="json")

    assert response.status_code == 200
    assert ApiSession.objects.get().expires_at == START + timedelta(days=13)


def test_it_rejects_a_reused_refresh_token_and_ends_the_whole_session(api, login):
    fan = login("fan@example.com")
    stolen = fan.tokens.refresh_token
    newest = api.post(REFRESH, {"refresh_token": stolen}, format="json").json()

    response = api.post(REFRESH, {"refresh_token": stolen}, format="json")

    body = assert_error(response, 401, "refresh_token_reused")
    assert "refresh_token" in body["fields"]
    session = ApiSession.objects.get()
    assert session.revoked_at is not None
    assert session.revoke_reason == "refresh_token_reuse"
    assert AuditEvent.objects.filter(
        action="session.revoked_token_reuse", object_id=str(session.pk)
    ).exists()

    again = api.post(REFRESH, {"refresh_token": newest["refresh_token"]}, format="json")
    assert again.status_code == 401
    assert again.json()["error"] == "refresh_token_invalid"
    assert not authenticated(with_token(api, newest["access_token"]))
    assert not authenticated(fan)


def test_reuse_in_one_session_leaves_the_fans_other_devices_signed_in(api, login):
    phone = login("fan@example.com", device_id="phone")
    tablet = login("fan@example.com", device_id="tablet")
    api.post(REFRESH, {"refresh_token": phone.tokens.refresh_token}, format="json")

    api.post(REFRESH, {"refresh_token": phone.tokens.refresh_token}, format="json")

    assert authenticated(tablet)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param(f"{uuid.uuid4()}.made-up-secret", id="unknown session"),
    ],
)
def test_it_rejects_a_refresh_token_it_never_issued(api, login, token):
    login("fan@example.com")

    response = api.post(REFRESH, {"refresh_token": token}, format="json")

    assert response.status_code == 401
    assert set(response.json()) == {"error", "detail", "fields"}
    assert response.json()["error"] == "refresh_token_invalid"
    assert ApiSession.objects.get().revoked_at is None


def test_a_refresh_token_expires_after_7_days(api, login):
    with time_machine.travel(START, tick=False) as clock:
        fan = login("fan@example.com")
        clock.shift(timedelta(days=7, seconds=1))
        response = api.post(REFRESH, {"refresh_token": fan.tokens.refresh_token}, format="json")

    assert response.status_code == 401
    assert response.json()["error"] == "refresh_token_invalid"


def test_logout_ends_the_session_for_both_tokens(api, login):
    fan = login("fan@example.com")

    response = fan.post(LOGOUT)

    assert response.status_code == 204
    assert not authenticated(fan)
    refresh = api.post(REFRESH, {"refresh_token": fan.tokens.refresh_token}, format="json")
    assert refresh.status_code == 401
    assert ApiSession.objects.get().revoke_reason == "logout"


def test_logout_needs_a_signed_in_client(api):
    assert api.post(LOGOUT).status_code == 401


def test_logout_stops_pushes_to_that_device_only(login):
    phone = login("fan@example.com", device_id="phone-1")
    tablet = login("fan@example.com", device_id="tablet-1")
    for client, device in ((phone, "phone-1"), (tablet, "tablet-1")):
        response = client.post(
            "/api/users/me/push-tokens",
            {"device_id": device, "fcm_token": f"fcm-{device}", "platform": "ANDROID"},
            format="json",
        )
        assert response.status_code == 201

    phone.post(LOGOUT)

    assert dict(PushToken.objects.values_list("device_id", "is_active")) == {
        "phone-1": False,
        "tablet-1": True,
    }


def test_a_fan_suspended_after_login_is_refused(api, login):
    phone = login("fan@example.com", device_id="phone")
    # The webshop blocks the fan; their next login elsewhere brings the status over.
    blocked = sso_token("fan@example.com", status="blocked")
    assert api.post("/api/auth/login", {"drupal_token": blocked}, format="json").status_code == 403

    response = phone.get(PROFILE)
    assert response.status_code == 401
    assert response.json()["detail"] == "This account is not active."
    refresh = api.post(REFRESH, {"refresh_token": phone.tokens.refresh_token}, format="json")
    assert refresh.status_code == 403
    assert refresh.json()["error"] == "account_not_active"


# --- the session behind every request ---------------------------------------------------------

def test_a_session_revoked_in_the_admin_is_refused_at_once(login):
    fan = login("fan@example.com")
    assert authenticated(fan)

    ApiSession.objects.update(revoked_at=datetime.now(UTC), revoke_reason="admin")

    response = fan.get(PROFILE)
    assert response.status_code == 401
    assert response.json()["detail"] == "This session has ended; please sign in again."


def test_an_access_token_is_refused_once_its_session_expired(login):
    fan = login("fan@example.com")
    ApiSession.objects.update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert not authenticated(fan)


def test_a_deleted_fans_token_is_refused(login):
    fan = login("fan@example.com")
    fan.user.delete()

    assert not authenticated(fan)


def test_a_token_naming_someone_elses_session_is_refused(api, login):
    fan, other = login("fan@example.com"), login("other@example.com")
    forged = access_token_issue(user_id=other.user.pk, session_id=fan.tokens.session.id)

    assert not authenticated(with_token(api, forged))


@pytest.mark.parametrize("sid, sub", [("not-a-uuid", "1"), (str(uuid.uuid4()), "one")])
def test_a_signed_token_with_malformed_claims_is_refused(api, sid, sub):
    claims = {"sub": sub, "sid": sid, "type": "access",
              "exp": int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())}
    token = jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)

    response = with_token(api, token).get(PROFILE)

    assert response.status_code == 401
    assert response.json()["detail"] == "Access token is not valid."


def test_the_request_carries_the_session_and_its_user(login):
    fan = login("fan@example.com")
    request = APIRequestFactory().get(PROFILE, HTTP_AUTHORIZATION=fan._credentials[
        "HTTP_AUTHORIZATION"])

    user, session = AccessTokenAuthentication().authenticate(request)

    assert (user, session, session.user) == (fan.user, fan.tokens.session, fan.user)
    assert session.device_id == "test-device"  # other fields load when read
