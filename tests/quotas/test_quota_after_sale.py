"""Quota tickets after the claim (E8-F3, E9-F8): a refund gives back what was paid: nothing for
a free (GR) ticket, the debt reduced for a deferred one; the quota seat is closed and the seat
goes back on sale. Transfers follow the quota's permission. A claim never completes on a
cancelled match (E2-F7): a late payment is refunded."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict
from core.roles import Role
from payments.models import Debt, DebtStatus, Payment, PaymentStatus, Refund, RefundStatus
from quotas.models import ClaimPaymentStatus, ClaimStatus, QuotaClaim, QuotaSeat, QuotaSeatStatus
from quotas.services import claims
from seating.models import Match, MatchStatus, SeatInventory, SeatStatus
from tests.assertions import assert_error
from tests.quotas.conftest import guest, make_quota, seat_ids
from tests.quotas.test_claims import claimed_to_holders, holders, select
from tests.ticketing.test_checkout import adult, valid_oib
from ticketing.aftersale.services.match_cancel import match_cancel
from ticketing.models import Order, OrderStatus, RefundState, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(make_user, back_office):
    return back_office(make_user("supervisor@example.com", roles=[Role.SUPERVISOR]))


def refund(client, order, capture, **body):
    with capture(execute=True):
        return client.post(f"/api/admin/orders/{order.pk}/refund",
                           {"reason": "sponsor returned it"} | body, format="json")


def test_refunding_a_free_quota_ticket_gives_back_nothing_and_frees_its_seat(
        holder, match, supervisor, django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2, discount_code="GR")
    claimed_to_holders(holder, quota, 2)
    order = Order.objects.get()
    ticket = order.tickets.order_by("pk").first()

    response = refund(supervisor, order, django_capture_on_commit_callbacks,
                      ticket_ids=[ticket.pk])

    assert response.status_code == 202, response.content
    assert (response.json()["refund"]["amount"], response.json()["refund"]["status"]) == (
        "0.00", "COMPLETED")
    assert not Payment.objects.exists()
    assert Refund.objects.get().payment is None
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REFUNDED
    assert QuotaSeat.objects.get(ticket=ticket).status == QuotaSeatStatus.CANCELLED
    assert SeatInventory.objects.get(pk=ticket.inventory_id).status == SeatStatus.AVAILABLE
    assert QuotaSeat.objects.filter(status=QuotaSeatStatus.SOLD).count() == 1


def test_refunding_deferred_tickets_reduces_the_debt_instead(
        holder, match, supervisor, django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2, deferred_payment=True)
    claimed_to_holders(holder, quota, 2)
    holder.post(f"/api/quota-portal/quotas/{quota.pk}/payment", {}, format="json")
    order = Order.objects.get()
    debt = Debt.objects.get()
    assert order.debt == debt and debt.amount == Decimal("84.80")

    first, second = order.tickets.order_by("pk")
    refund(supervisor, order, django_capture_on_commit_callbacks, ticket_ids=[first.pk])
    debt.refresh_from_db()
    assert (debt.credited_amount, debt.owed_amount, debt.status) == (
        Decimal("40.00"), Decimal("44.80"), DebtStatus.OPEN)  # the fee share is kept

    with django_capture_on_commit_callbacks(execute=True):
        response = holder.post(f"/api/orders/{order.pk}/cancel-tickets",
                               {"ticket_ids": [second.pk]}, format="json")
    assert response.status_code == 202, response.content
    debt.refresh_from_db()
    assert (debt.credited_amount, debt.status) == (Decimal("82.40"), DebtStatus.OPEN)
    assert set(Refund.objects.values_list("status", flat=True)) == {RefundStatus.COMPLETED}
    order.refresh_from_db()
    assert (order.status, order.refund_status) == (OrderStatus.REFUNDED, RefundState.FULL)


def test_cancelling_every_deferred_ticket_clears_the_debt(
        holder, match, django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2, deferred_payment=True)
    claimed_to_holders(holder, quota, 2)
    holder.post(f"/api/quota-portal/quotas/{quota.pk}/payment", {}, format="json")
    order = Order.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        holder.post(f"/api/orders/{order.pk}/cancel-tickets",
                    {"ticket_ids": list(order.tickets.values_list("pk", flat=True))},
                    format="json")

    debt = Debt.objects.get()
    assert (debt.credited_amount, debt.status) == (Decimal("84.80"), DebtStatus.CREDITED)


@pytest.mark.parametrize("allowed", [True, False])
def test_quota_tickets_follow_the_quotas_transfer_permission(holder, match, allowed):
    quota = make_quota(match, quantity=1, discount_code="GR", transfer_allowed=allowed)
    claimed_to_holders(holder, quota, 1)
    ticket = Ticket.objects.get()
    assert ticket.transfer_allowed is allowed

    response = holder.post(f"/api/tickets/{ticket.pk}/transfer", {"holder": adult(
        oib=valid_oib(31337), email="guest@example.com")}, format="json")

    if allowed:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, 403, "transfer_not_allowed")


# --- a cancelled match (E2-F7) ----------------------------------------------------------------

def cancel_match(match, django_user_model, capture):
    boss = django_user_model.objects.create_superuser("boss@example.com", "x")
    with capture(execute=True):
        match_cancel(match_id=match.pk, actor=boss, reason="storm")


def test_a_claim_paid_after_its_match_is_cancelled_is_refunded_without_tickets(
        holder, match, django_user_model, django_capture_on_commit_callbacks):
    quota = make_quota(match, quantity=2)
    claimed_to_holders(holder, quota, 2)
    claim_id = holder.post(f"/api/quota-portal/quotas/{quota.pk}/payment", {},
                           format="json").json()["claim_id"]

    cancel_match(match, django_user_model, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        holder.post(f"/api/quota-portal/claims/{claim_id}/pay-local")

    assert QuotaClaim.objects.get(pk=claim_id).status == ClaimStatus.EXPIRED
    assert not Ticket.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert Refund.objects.get().reason == "match cancelled"


@pytest.mark.parametrize("kind", ["free", "deferred"])
def test_a_claim_completing_without_payment_is_refused_once_the_match_is_cancelled(
        holder, match, django_user_model, django_capture_on_commit_callbacks, kind):
    quota = (make_quota(match, quantity=2, discount_code="GR") if kind == "free"
             else make_quota(match, quantity=2, deferred_payment=True))
    assert select(holder, quota, seat_ids(quota, 2)).status_code == 201
    if kind == "deferred":
        assert holders(holder, quota, [guest(0), guest(1)]).status_code == 200

    cancel_match(match, django_user_model, django_capture_on_commit_callbacks)
    if kind == "free":
        response = holders(holder, quota, [guest(0), guest(1)])
    else:
        response = holder.post(f"/api/quota-portal/quotas/{quota.pk}/payment", {},
                               format="json")

    assert_error(response, 409, "match_cancelled")
    assert not Ticket.objects.exists() and not Debt.objects.exists()
    assert_error(select(holder, quota, seat_ids(quota, 1)), 409, "match_cancelled")


def test_completion_itself_refuses_a_cancelled_match(holder, match):
    """The locked check, for a cancellation committed after the early one passed."""
    quota = make_quota(match, quantity=1, discount_code="GR")
    assert select(holder, quota, seat_ids(quota, 1)).status_code == 201
    claim = QuotaClaim.objects.get()
    Match.objects.filter(pk=match.pk).update(status=MatchStatus.CANCELLED)

    with pytest.raises(Conflict, match="cancelled"), transaction.atomic():
        claims._complete(claim, list(claim.seats.all()),
                         payment_status=ClaimPaymentStatus.FREE, now=timezone.now())


def test_a_claim_paid_after_a_holder_was_blacklisted_is_refunded_without_tickets(
        holder, match, django_capture_on_commit_callbacks):
    from accessctl.models import BlacklistSource
    from accessctl.services.entries import blacklist_entry_create

    banned = valid_oib(60606)
    quota = make_quota(match, quantity=2)
    assert select(holder, quota, seat_ids(quota, 1)).status_code == 201
    assert holders(holder, quota, [guest(0, nationality="HR", passport_number="",
                                         oib=banned)]).status_code == 200
    claim_id = holder.post(f"/api/quota-portal/quotas/{quota.pk}/payment", {},
                           format="json").json()["claim_id"]
    blacklist_entry_create(oib=banned, first_name="Guest0", last_name="Gost", reason="riot",
                           source=BlacklistSource.MUP_COURT_BAN, actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        holder.post(f"/api/quota-portal/claims/{claim_id}/pay-local")

    assert QuotaClaim.objects.get(pk=claim_id).status == ClaimStatus.EXPIRED
    assert not Ticket.objects.exists()
    assert Refund.objects.get().reason == "a ticket holder is on the blacklist"
