"""ws/quotas/<id>/: live changes of a quota family for its holders, authenticated by the portal's
session cookie or the app's `?token=`. Transactional: events go out only on commit, and the
consumer reaches the database from another thread."""

from functools import partial

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from config.asgi import application
from quotas.services.claims import claim_select
from quotas.services.subquotas import subquota_create, subquota_retract
from tests.quotas.conftest import HOLDER_EMAIL, make_quota, numbered_match, seat_ids
from tests.ticketing.test_user_events_ws import ORIGIN, WebsocketCommunicator, run
from ticketing.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(email: str) -> tuple[bytes, bytes]:
    client = Client()
    user = User.objects.filter(email=email).first() or User.objects.create_user(email=email)
    client.force_login(user)
    return b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(quota_id: int, *, cookie=None, token: str = "", origin=ORIGIN):
    path = f"/ws/quotas/{quota_id}/" + (f"?token={token}" if token else "")
    headers = [h for h in (origin, cookie) if h]
    return WebsocketCommunicator(application, path, headers=headers)


def first_event_after(quota_id: int, *changes, cookie=None, token: str = ""):
    """Subscribe to the quota, make the `changes` (functions run in the database, in order) and
    return whether it connected, its hello and the first event it heard after them."""
    async def scenario():
        ws = socket(quota_id, cookie=cookie, token=token)
        connected, _ = await ws.connect()
        hello = await ws.receive_json_from()
        for change in changes:
            await database_sync_to_async(change)()
        event = await ws.receive_json_from(timeout=2)
        await ws.disconnect()
        return connected, hello, event

    return run(scenario)


@pytest.fixture
def quota(db):
    return make_quota(numbered_match(), quantity=4, can_create_subquotas=True)



def test_a_signed_in_holder_hears_a_claim_made_elsewhere(quota):
    cookie = session_cookie(HOLDER_EMAIL)
    holder = User.objects.get(email=HOLDER_EMAIL)
    chosen = seat_ids(quota, 2)

    connected, hello, event = first_event_after(
        quota.pk, partial(claim_select, user=holder, quota_id=quota.pk, seat_ids=chosen),
        cookie=cookie)

    assert connected
    assert hello == {"type": "hello", "quota_id": quota.pk, "root_id": quota.pk}
    assert event["type"] == "quota.changed"
    assert event["event"]["event"] == "seats_selected"
    assert event["event"]["quota_id"] == quota.pk
    assert event["event"]["count"] == 2


def test_the_app_subscribes_with_its_access_token(quota, login):
    app = login(HOLDER_EMAIL)
    chosen = seat_ids(quota, 1)

    connected, _, event = first_event_after(
        quota.pk, partial(subquota_create, user=app.user, quota_id=quota.pk,
                          recipient_email="guest@example.com", seat_ids=chosen),
        token=app.tokens.access_token)

    assert connected
    assert event["event"]["event"] == "subquota_created"
    assert event["event"]["root_id"] == quota.pk


@pytest.mark.parametrize(("who", "code"), [
    pytest.param("intruder@example.com", 4404, id="someone else, as a missing quota"),
    pytest.param(None, 4401, id="signed out"),
])
def test_it_refuses_anyone_but_a_holder(quota, who, code, refusals_in_memory):
    cookie = session_cookie(who) if who else None

    async def scenario():
        return await socket(quota.pk, cookie=cookie).connect_and_drop()

    assert run(scenario) == (False, code)


def test_it_refuses_a_quota_that_does_not_exist(db, refusals_in_memory):
    cookie = session_cookie(HOLDER_EMAIL)

    async def scenario():
        return await socket(987654, cookie=cookie).connect_and_drop()

    assert run(scenario) == (False, 4404)


def test_it_refuses_a_holder_cookie_sent_from_another_site(quota, refusals_in_memory):
    cookie = session_cookie(HOLDER_EMAIL)

    async def scenario():
        ws = socket(quota.pk, cookie=cookie, origin=(b"origin", b"https://evil.example"))
        return await ws.connect_and_drop()

    connected, _ = run(scenario)
    assert not connected


def test_a_sub_recipient_hears_about_their_subquota_but_not_the_other_guests(quota):
    holder = User.objects.create_user(email=HOLDER_EMAIL)
    first, second, third = seat_ids(quota, 3)
    mine = subquota_create(user=holder, quota_id=quota.pk, recipient_email="sub@example.com",
                           seat_ids=[first])
    other = subquota_create(user=holder, quota_id=quota.pk,
                            recipient_email="other@example.com", seat_ids=[second])
    cookie = session_cookie("sub@example.com")

    # A group delivers in order: the first event to arrive proves the other never will.
    connected, hello, event = first_event_after(
        mine.pk, partial(subquota_retract, user=holder, subquota_id=other.pk),
        partial(subquota_retract, user=holder, subquota_id=mine.pk), cookie=cookie)

    assert connected
    assert hello == {"type": "hello", "quota_id": mine.pk, "root_id": quota.pk}
    assert event["event"]["event"] == "subquota_retracted"
    assert event["event"]["quota_id"] == mine.pk
    assert third  # the holder kept a seat of their own
