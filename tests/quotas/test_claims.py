"""E7-F4 dashboard and E7-F5 the 3-step claim through /api/quota-portal/: select seats (cards or
a quantity), ticket holders (seats RESERVED), payment (seats SOLD, tickets). Free (GR) quotas
skip step 3; deferred ones complete with a debt; abandoned claims give their seats back."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accessctl.models import BlacklistSource, BlacklistViolation
from accessctl.services.entries import blacklist_entry_create
from payments.models import Debt, Payment, PaymentStatus, Refund
from payments.signals import payment_succeeded
from quotas.models import ClaimStatus, QuotaClaim, QuotaSeat, QuotaSeatStatus, QuotaStatus
from quotas.portal_api import ClaimOut
from quotas.tasks import claims_expire
from seating.models import SeatInventory, SeatStatus
from tests.payments.conftest import intent_event
from tests.quotas.conftest import complete_profile, guest, make_quota, seat_ids
from tests.ticketing.test_checkout import valid_oib
from tests.ticketing.test_order_payment import deliver
from ticketing.models import Order, OrderSource, OrderStatus, Ticket

pytestmark = pytest.mark.django_db
BASE = "/api/quota-portal/quotas"


def select(client, quota, seat_ids=None, **body):
    if seat_ids is not None:
        body["seat_ids"] = seat_ids
    return client.post(f"{BASE}/{quota.pk}/select-seats", body, format="json")


def holders(client, quota, people, **body):
    return client.post(f"{BASE}/{quota.pk}/ticket-holders", {"holders": people, **body},
                       format="json")


def pay(client, quota, capture, **body):
    response = client.post(f"{BASE}/{quota.pk}/payment", body, format="json")
    assert response.status_code == 200, response.content
    with capture(execute=True):
        paid = client.post(f"/api/quota-portal/claims/{response.json()['claim_id']}/pay-local")
    assert paid.status_code == 200, paid.content
    return ClaimOut(QuotaClaim.objects.get(pk=paid.json()["claim_id"])).data  # after commit


def timeless(client):
    """The client signed in for good: access tokens last 15 minutes, these tests travel."""
    client.force_authenticate(client.user)
    return client



def claimed_to_holders(client, quota, n=2):
    assert select(client, quota, seat_ids(quota, n)).status_code == 201
    response = holders(client, quota, [guest(i) for i in range(n)])
    assert response.status_code == 200, response.content
    return response.json()


# --- dashboard (E7-F4) ------------------------------------------------------------------------

def test_the_dashboard_counts_each_state_and_lists_seat_numbers(holder, match,
                                                                django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=5, can_create_subquotas=True)
    claimed_to_holders(holder, quota, 2)  # 2 RESERVED
    holder.post(f"{BASE}/{quota.pk}/subquotas", {"recipient_email": "friend@x.hr",
                                                 "seat_ids": seat_ids(quota)[4:]}, format="json")

    body = holder.get("/api/quota-portal/dashboard").json()

    (row,) = body["quotas"]
    assert row["counts"] == {"ALLOCATED": 2, "RESERVED": 2, "SOLD": 0, "CANCELLED": 0,
                             "DELEGATED": 1}
    assert row["match"]["is_numbered"] is True
    cards = row["seats"]
    assert len(cards) == 5 and all(c["sector"] == "A" and c["row"] and c["seat"] for c in cards)
    assert [c["status"] for c in cards].count("DELEGATED") == 1
    assert row["subquotas"][0]["recipient_email"] == "friend@x.hr"


def test_the_expiration_date_is_a_reminder_only(holder, match):
    quota = make_quota(match, quantity=1, expires_at=timezone.now() + timedelta(days=1))
    timeless(holder)
    assert holder.get(f"{BASE}/{quota.pk}").json()["expiry_state"] == "soon"

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        body = holder.get(f"{BASE}/{quota.pk}").json()
        assert body["expiry_state"] == "past"
        assert body["status"] == QuotaStatus.ACTIVE  # nothing expires
        assert select(holder, quota, seat_ids(quota)).status_code == 201


def test_a_holder_sees_only_their_own_quotas(login, holder, match):
    quota = make_quota(match, quantity=1)
    other = login("someone@else.hr")

    assert other.get("/api/quota-portal/dashboard").json()["quotas"] == []
    missing = other.get(f"{BASE}/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "quota_not_found"
    # someone else's quota is answered as if it did not exist: ids cannot be probed
    assert other.get(f"{BASE}/{quota.pk}").json() == missing.json()
    assert select(other, quota, seat_ids(quota)).json() == missing.json()
    assert other.get(f"{BASE}/{quota.pk}/subquotas").json() == missing.json()
    assert not QuotaClaim.objects.exists()


# --- step 1 -----------------------------------------------------------------------------------

def test_step_one_selects_cards_for_a_claim(holder, match):
    quota = make_quota(match, quantity=4)
    chosen = seat_ids(quota, 2)

    response = select(holder, quota, chosen)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["seat_ids"] == chosen and body["next_step"] == "ticket-holders"
    claim = QuotaClaim.objects.get(pk=body["claim_id"])
    assert set(claim.seats.values_list("id", flat=True)) == set(chosen)
    cards = {c["id"]: c for c in holder.get(f"{BASE}/{quota.pk}").json()["seats"]}
    assert all(cards[i]["mine"] and not cards[i]["selectable"] for i in chosen)


def test_changing_the_selection_keeps_one_claim(holder, match):
    quota = make_quota(match, quantity=4)
    first = select(holder, quota, seat_ids(quota, 2)).json()

    again = select(holder, quota, seat_ids(quota)[2:], claim_id=first["claim_id"]).json()

    assert again["claim_id"] == first["claim_id"] and again["seat_ids"] == seat_ids(quota)[2:]
    assert QuotaSeat.objects.filter(claim__isnull=False).count() == 2


def test_seats_selected_in_another_window_cannot_be_selected_again(holder, match):
    quota = make_quota(match, quantity=4)
    select(holder, quota, seat_ids(quota, 2))

    response = select(holder, quota, seat_ids(quota, 3))

    assert response.status_code == 409 and response.json()["error"] == "seats_unavailable"
    assert response.json()["fields"]["seat_ids"] == [str(seat_ids(quota)[0]),
                                                     str(seat_ids(quota)[1])]


def test_a_non_numbered_quota_is_claimed_by_quantity(holder, ga_match):
    quota = make_quota(ga_match, sectors=("G",), quantity=5)

    assert select(holder, quota, quantity=6).status_code == 409
    assert select(holder, quota).status_code == 422
    body = select(holder, quota, quantity=3).json()

    assert len(body["seat_ids"]) == 3
    assert holder.get(f"{BASE}/{quota.pk}").json()["available_to_claim"] == 2


# --- step 2 -----------------------------------------------------------------------------------

def test_step_two_saves_the_holders_and_reserves_the_seats(holder, match):
    quota = make_quota(match, quantity=3, discount_percent=Decimal("50"))
    select(holder, quota, seat_ids(quota, 2))

    response = holders(holder, quota, [guest(1), guest(2)])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next_step"] == "payment"
    assert Decimal(body["ticket_amount"]) == Decimal("40.00")  # 2 x 40.00 less 50 %
    assert Decimal(body["fee_amount"]) == Decimal("2.40")  # 6 %
    assert Decimal(body["total_amount"]) == Decimal("42.40")
    seats = QuotaSeat.objects.filter(claim_id=body["claim_id"])
    assert {s.status for s in seats} == {QuotaSeatStatus.RESERVED}
    inventory = SeatInventory.objects.filter(quota_seats__in=seats)
    assert {(i.status, i.hold_owner, i.release_to) for i in inventory} == {
        (SeatStatus.RESERVED, f"claim:{body['claim_id']}", SeatStatus.ALLOCATED)}
    with connection.cursor() as cursor:  # holder data (passports) is encrypted at rest
        cursor.execute("SELECT holders FROM quotas_quotaclaim WHERE id = %s", [body["claim_id"]])
        raw = cursor.fetchone()[0]
    assert raw and "C00000001" not in raw and "Guest1" not in raw


def test_holders_are_validated_like_checkout(holder, match):
    quota = make_quota(match, quantity=2)
    select(holder, quota, seat_ids(quota, 2))

    wrong_count = holders(holder, quota, [guest(1)])
    bad_oib = holders(holder, quota, [guest(1), guest(2, nationality="HR", oib="12345678901")])
    no_profile = holders(holder, quota, [{"use_my_profile": True}, guest(2)])

    assert wrong_count.status_code == 422 and "holders" in wrong_count.json()["fields"]
    assert bad_oib.status_code == 422 and "holders[1].oib" in bad_oib.json()["fields"]
    assert no_profile.status_code == 422
    complete_profile(holder.user)
    assert holders(holder, quota, [{"use_my_profile": True}, guest(2)]).status_code == 200


def test_a_blacklisted_holder_blocks_the_claim_and_is_logged(holder, match):
    banned = valid_oib(4242)
    blacklist_entry_create(oib=banned, first_name="Bad", last_name="Fan", reason="riot",
                           source=BlacklistSource.MUP_COURT_BAN, actor=None)
    quota = make_quota(match, quantity=2)
    claim = select(holder, quota, seat_ids(quota, 2)).json()

    response = holders(holder, quota, [guest(1), guest(2, nationality="HR", oib=banned,
                                                        passport_number="")])

    assert response.status_code == 403 and response.json()["error"] == "blacklisted"
    attempt = BlacklistViolation.objects.get()
    assert (attempt.action_type, attempt.reference) == (
        "QUOTA_CLAIM_ATTEMPT", f"claim:{claim['claim_id']}")
    assert not QuotaSeat.objects.filter(status=QuotaSeatStatus.RESERVED).exists()


# --- step 3 -----------------------------------------------------------------------------------

def test_step_three_pays_and_issues_tickets(holder, match, django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=3, discount_percent=Decimal("25"))
    claimed_to_holders(holder, quota, 2)

    body = pay(holder, quota, django_capture_on_commit_callbacks)

    assert body["status"] == ClaimStatus.COMPLETED and body["payment_status"] == "PAID"
    order = Order.objects.get(pk=body["order_id"])
    assert order.source == OrderSource.QUOTA and order.status == OrderStatus.COMPLETED
    assert order.total_amount == Decimal("63.60")  # 2 x 30.00 + 6 % fee
    assert order.payment.status == PaymentStatus.SUCCEEDED and order.buyer == holder.user
    seats = QuotaSeat.objects.filter(quota=quota, status=QuotaSeatStatus.SOLD)
    assert seats.count() == 2 and all(s.ticket_id for s in seats)
    assert {i.status for i in SeatInventory.objects.filter(quota_seats__in=seats)} == {
        SeatStatus.SOLD}
    assert Ticket.objects.filter(order=order).count() == 2
    assert holder.get(f"/api/orders/{order.pk}").status_code == 200
    counts = holder.get(f"{BASE}/{quota.pk}").json()["counts"]
    assert (counts["SOLD"], counts["ALLOCATED"]) == (2, 1)


def test_claiming_everything_marks_the_quota_fully_claimed(holder, match,
                                                         django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2)
    claimed_to_holders(holder, quota, 2)
    pay(holder, quota, django_capture_on_commit_callbacks)

    quota.refresh_from_db()
    assert quota.status == QuotaStatus.FULLY_CLAIMED
    assert select(holder, quota, seat_ids(quota, 1)).status_code == 409


def test_a_free_quota_skips_payment(holder, match):
    quota = make_quota(match, quantity=2, discount_code="GR")

    body = claimed_to_holders(holder, quota, 2)

    assert body["status"] == ClaimStatus.COMPLETED and body["payment_status"] == "FREE"
    assert body["next_step"] is None and Decimal(body["total_amount"]) == 0
    assert not Payment.objects.exists()
    assert Ticket.objects.count() == 2
    assert QuotaSeat.objects.filter(status=QuotaSeatStatus.SOLD).count() == 2
    again = holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json")
    assert again.status_code == 409 and again.json()["error"] == "payment_not_needed"


def test_deferred_payment_issues_tickets_and_records_the_debt(holder, match):
    quota = make_quota(match, quantity=2, deferred_payment=True)
    claimed_to_holders(holder, quota, 2)

    response = holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["payment_status"] == "DEFERRED" and body["payment"] is None
    assert Ticket.objects.count() == 2 and not Payment.objects.exists()
    debt = Debt.objects.get()
    assert debt.debtor == holder.user and debt.amount == Decimal("84.80")
    assert debt.reference == f"claim:{body['claim_id']}"


def test_a_replayed_payment_webhook_sells_once(holder, match, api,
                                               django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2)
    claimed_to_holders(holder, quota, 2)
    holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json")
    payment = Payment.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert deliver(api, intent_event("payment_intent.succeeded", payment)).status_code \
                == 200
        for _ in range(3):
            payment_succeeded.send(sender=Payment, payment=Payment.objects.get())

    assert Ticket.objects.count() == 2 and Order.objects.count() == 1
    assert not Refund.objects.exists()


# --- abandoned and late -----------------------------------------------------------------------

def test_an_abandoned_claim_returns_its_seats_to_allocated(holder, match):
    quota = make_quota(match, quantity=2)
    body = claimed_to_holders(holder, quota, 2)

    with time_machine.travel(timezone.now() + timedelta(minutes=21)):
        assert claims_expire.delay().get() == 1

    claim = QuotaClaim.objects.get(pk=body["claim_id"])
    assert claim.status == ClaimStatus.EXPIRED
    assert {s.status for s in QuotaSeat.objects.all()} == {QuotaSeatStatus.ALLOCATED}
    assert not QuotaSeat.objects.filter(claim__isnull=False).exists()
    assert {(i.status, i.hold_owner) for i in SeatInventory.objects.filter(
        quota_seats__quota=quota)} == {(SeatStatus.ALLOCATED, f"quota:{quota.pk}")}


def test_a_lapsed_claim_frees_its_seats_before_the_sweep(holder, login, match):
    quota = make_quota(match, quantity=2)
    claimed_to_holders(timeless(holder), quota, 2)

    with time_machine.travel(timezone.now() + timedelta(minutes=21)):
        response = select(holder, quota, seat_ids(quota))

    assert response.status_code == 201, response.content


def test_a_payment_after_the_claim_lapsed_is_refunded(holder, match,
                                                     django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2)
    claimed_to_holders(timeless(holder), quota, 2)
    claim_id = holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json").json()["claim_id"]

    with (time_machine.travel(timezone.now() + timedelta(minutes=21)),
          django_capture_on_commit_callbacks(execute=True)):
        holder.post(f"/api/quota-portal/claims/{claim_id}/pay-local")

    assert QuotaClaim.objects.get(pk=claim_id).status == ClaimStatus.EXPIRED
    assert not Ticket.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert {s.status for s in QuotaSeat.objects.all()} == {QuotaSeatStatus.ALLOCATED}


def test_a_failed_payment_can_be_retried(holder, match, api, django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=1)
    claimed_to_holders(holder, quota, 1)
    holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(api, intent_event("payment_intent.payment_failed", Payment.objects.get()))
    assert QuotaClaim.objects.get().payment_status == "FAILED"

    body = pay(holder, quota, django_capture_on_commit_callbacks)

    assert body["payment_status"] == "PAID"
    assert Payment.objects.count() == 2


def test_a_claim_can_be_read_back_by_its_holder_only(holder, login, match):
    quota = make_quota(match, quantity=2)
    claim_id = select(holder, quota, seat_ids(quota, 1)).json()["claim_id"]

    body = holder.get(f"/api/quota-portal/claims/{claim_id}").json()

    assert body["claim_id"] == claim_id and body["next_step"] == "ticket-holders"
    assert holder.get(f"{BASE}/{quota.pk}").json()["my_claims"] == [claim_id]
    other = login("other@x.hr")
    foreign = other.get(f"/api/quota-portal/claims/{claim_id}")
    assert foreign.status_code == 404 and foreign.json()["error"] == "claim_not_found"
    assert foreign.json() == other.get("/api/quota-portal/claims/999999").json()


def test_money_is_sent_as_strings(holder, match):
    quota = make_quota(match, quantity=1, discount_percent=Decimal("12.5"))
    claimed_to_holders(holder, quota, 1)

    body = holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json").json()

    assert body["payment"]["amount"] == body["total_amount"] == "37.10"
    assert holder.get(f"{BASE}/{quota.pk}").json()["discount_percent"] == "12.50"
