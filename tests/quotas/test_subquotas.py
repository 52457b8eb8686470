"""E7-F6: a holder with `can_create_subquotas` sends tickets to someone else (email + push with a
deeplink), who claims them in the same 3 steps; one level only; ALLOCATED subquotas can be
retracted and their seats return to the holder."""

import pytest

from core.models import EmailLog, PushLog
from core.notifications import REDACTED, push_token_register
from quotas.models import MagicLink, Quota, QuotaSeat, QuotaStatus
from tests.quotas.conftest import guest, make_quota, seat_ids
from tests.quotas.test_claims import BASE, holders, pay, select

pytestmark = pytest.mark.django_db
FRIEND = "friend@partner.hr"



def send(client, quota, **body):
    return client.post(f"{BASE}/{quota.pk}/subquotas", {"recipient_email": FRIEND, **body},
                       format="json")


@pytest.fixture
def quota(match):
    return make_quota(match, quantity=4, can_create_subquotas=True, transfer_allowed=True,
                      discount_code="GR")


def test_delegating_seats_creates_a_subquota_and_invites_the_recipient(holder, quota, make_user):
    friend = make_user(FRIEND)
    push_token_register(user=friend, device_id="phone", fcm_token="t-1", platform="android")
    chosen = seat_ids(quota)[:2]

    response = send(holder, quota, seat_ids=chosen, recipient_name="Iva")

    assert response.status_code == 201, response.content
    sub = Quota.objects.get(pk=response.json()["id"])
    assert (sub.parent, sub.status, sub.quantity) == (quota, QuotaStatus.ALLOCATED, 2)
    assert sub.transfer_allowed is True and sub.can_create_subquotas is False
    assert set(QuotaSeat.objects.filter(subquota=sub).values_list("id", flat=True)) == set(chosen)
    log = EmailLog.objects.get(template_key="subquota_invitation")
    assert log.recipient_email == FRIEND and log.variables_json["link"] == REDACTED
    assert MagicLink.objects.get(quota=sub).email == FRIEND
    push = PushLog.objects.get(user=friend)
    assert push.data_json["deeplink"] == f"hnstickets://quotas/{sub.pk}"
    listed = holder.get(f"{BASE}/{quota.pk}/subquotas").json()["subquotas"]
    assert [(s["id"], s["status"]) for s in listed] == [(sub.pk, "ALLOCATED")]


def test_without_the_flag_delegation_is_forbidden(holder, match):
    quota = make_quota(match, quantity=2)
    response = send(holder, quota, seat_ids=seat_ids(quota)[:1])
    assert response.status_code == 403 and response.json()["error"] == "subquotas_not_allowed"
    assert holder.get(f"{BASE}/{quota.pk}").json()["can_create_subquotas"] is False


@pytest.mark.parametrize(("email", "status", "code"), [
    ("not-an-email", 422, "invalid_email"),
    ("VIP@sponsor.hr", 400, "own_email"),
])
def test_the_recipient_email_is_validated(holder, quota, email, status, code):
    response = send(holder, quota, seat_ids=seat_ids(quota)[:1], recipient_email=email)
    assert response.status_code == status and response.json()["error"] == code
    assert "recipient_email" in response.json()["fields"]
    assert not Quota.objects.filter(parent=quota).exists()


def test_a_subquota_cannot_delegate_further(holder, login, quota):
    sub_id = send(holder, quota, seat_ids=seat_ids(quota)[:2]).json()["id"]
    friend = login(FRIEND)

    response = friend.post(f"{BASE}/{sub_id}/subquotas",
                           {"recipient_email": "third@x.hr", "seat_ids": seat_ids(quota)[:1]},
                           format="json")

    assert response.status_code == 403 and response.json()["error"] == "subquota_cannot_delegate"


def test_seats_already_sent_or_being_claimed_cannot_be_sent(holder, quota):
    send(holder, quota, seat_ids=seat_ids(quota)[:1])
    select(holder, quota, seat_ids(quota)[1:2])

    for ids in (seat_ids(quota)[:1], seat_ids(quota)[1:2]):
        response = send(holder, quota, seat_ids=ids, recipient_email="other@x.hr")
        assert response.status_code == 409, response.content


def test_the_sub_recipient_claims_through_the_same_steps(holder, login, quota):
    sub_id = send(holder, quota, seat_ids=seat_ids(quota)[:2]).json()["id"]
    friend = login(FRIEND)
    sub = Quota.objects.get(pk=sub_id)

    assert [q["id"] for q in friend.get("/api/quota-portal/dashboard").json()["quotas"]] == \
        [sub_id]
    assert select(friend, sub, seat_ids(quota)[2:3]).status_code == 409  # not theirs
    assert select(friend, sub, seat_ids(quota)[:2]).status_code == 201
    sub.refresh_from_db()
    assert sub.status == QuotaStatus.RESERVED
    done = holders(friend, sub, [guest(1), guest(2)]).json()  # GR: free, done at step 2

    assert done["status"] == "COMPLETED"
    sub.refresh_from_db()
    assert sub.status == QuotaStatus.SOLD
    listed = holder.get(f"{BASE}/{quota.pk}/subquotas").json()["subquotas"]
    assert listed[0]["status"] == "SOLD" and listed[0]["can_retract"] is False
    parent_counts = holder.get(f"{BASE}/{quota.pk}").json()["counts"]
    assert parent_counts["DELEGATED"] == 2 and parent_counts["ALLOCATED"] == 2


def test_a_paid_subquota_is_paid_by_the_sub_recipient(holder, login, match,
                                                      django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2, can_create_subquotas=True)
    sub = Quota.objects.get(pk=send(holder, quota, seat_ids=seat_ids(quota)[:1]).json()["id"])
    friend = login(FRIEND)
    select(friend, sub, seat_ids(quota)[:1])
    holders(friend, sub, [guest(1)])

    body = pay(friend, sub, django_capture_on_commit_callbacks)

    assert body["payment_status"] == "PAID"
    sub.refresh_from_db()
    assert sub.status == QuotaStatus.SOLD


# --- retraction -------------------------------------------------------------------------------

def test_retracting_an_allocated_subquota_returns_its_seats(holder, quota):
    sub_id = send(holder, quota, seat_ids=seat_ids(quota)[:2]).json()["id"]
    before = holder.get(f"{BASE}/{quota.pk}").json()["available_to_claim"]

    response = holder.delete(f"/api/quota-portal/subquotas/{sub_id}")

    assert response.status_code == 200 and response.json()["status"] == "RETRACTED"
    assert not QuotaSeat.objects.filter(subquota_id=sub_id).exists()
    after = holder.get(f"{BASE}/{quota.pk}").json()
    assert after["available_to_claim"] == before + 2 and after["counts"]["DELEGATED"] == 0


def test_a_subquota_being_claimed_cannot_be_retracted(holder, login, quota):
    sub = Quota.objects.get(pk=send(holder, quota, seat_ids=seat_ids(quota)[:2]).json()["id"])
    select(login(FRIEND), sub, seat_ids(quota)[:1])

    response = holder.delete(f"/api/quota-portal/subquotas/{sub.pk}")

    assert response.status_code == 400 and response.json()["error"] == "subquota_not_retractable"
    assert QuotaSeat.objects.filter(subquota=sub).count() == 2


def test_only_the_sender_may_retract(holder, login, quota):
    sub_id = send(holder, quota, seat_ids=seat_ids(quota)[:2]).json()["id"]
    # its recipient knows it exists: 403; anyone else gets what a missing id gets
    assert login(FRIEND).delete(f"/api/quota-portal/subquotas/{sub_id}").status_code == 403
    stranger = login("stranger@example.com")
    foreign = stranger.delete(f"/api/quota-portal/subquotas/{sub_id}")
    missing = stranger.delete("/api/quota-portal/subquotas/999999")
    assert missing.status_code == 404 and foreign.json() == missing.json()


def test_a_non_numbered_quota_delegates_a_quantity(holder, ga_match):
    quota = make_quota(ga_match, sectors=("G",), quantity=5, can_create_subquotas=True)

    assert send(holder, quota, quantity=6).status_code == 409
    body = send(holder, quota, quantity=3).json()

    assert body["quantity"] == 3
    assert holder.get(f"{BASE}/{quota.pk}").json()["available_to_claim"] == 2
