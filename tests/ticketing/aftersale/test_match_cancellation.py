"""Cancelling a match (E2-F7): a Super Admin's approval for a published match, the sale stopped
at once, every ticket CANCELLED_MATCH_CANCELLED and every order refunded in full (fee
included) by a resumable job, every holder told, and a report."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import EmailLog, PushLog
from core.roles import Role
from payments.models import PaymentStatus, Refund, RefundSource, RefundStatus
from queueing.models import QueueConfig
from seating.models import MatchStatus
from tests.assertions import assert_error
from tests.ticketing.test_cart import add
from tests.ticketing.test_order_payment import ordered
from ticketing.aftersale.models import MatchCancellation, MatchCancellationStatus
from ticketing.aftersale.services.match_cancel import _order_cancel, match_cancel_run
from ticketing.models import Cart, CartStatus, OrderStatus, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user, back_office):
    return back_office(make_user("matches@example.com", roles=[Role.MATCH_MANAGER]))


@pytest.fixture
def super_admin(make_user, back_office):
    return back_office(make_user("boss@example.com", roles=[Role.SUPER_ADMIN]))


def cancel(client, match, capture=None, **body):
    url = f"/api/admin/matches/{match.pk}/cancel"
    if capture is None:
        return client.post(url, body, format="json")
    with capture(execute=True):
        return client.post(url, body, format="json")


def test_a_published_match_needs_a_super_admins_approval(paid, manager, match):
    paid(1)

    response = cancel(manager, match, reason="storm")

    assert_error(response, 403, "super_admin_required")
    assert "cancel-request" in response.json()["detail"]
    match.refresh_from_db()
    assert match.status == MatchStatus.PUBLISHED
    assert Ticket.objects.get().status == TicketStatus.VALID


def test_others_cannot_cancel_or_ask(paid, buyer, match, make_user, back_office):
    quotas = back_office(make_user("q@example.com", roles=[Role.QUOTA_MANAGER]))
    for client in (buyer, quotas):
        assert cancel(client, match, reason="x").status_code == 403
        assert client.post(f"/api/admin/matches/{match.pk}/cancel-request",
                           {"reason": "x"}, format="json").status_code == 403


def test_a_requested_cancellation_approved_by_a_super_admin_refunds_everything(
        paid, buyer, other_fan, match, zone, manager, super_admin,
        django_capture_on_commit_callbacks):
    from tests.ticketing.test_checkout import buyer_profile, valid_oib

    first = paid(2)
    buyer_profile(other_fan.user, oib=valid_oib(8080))
    second = paid(1, client=other_fan)
    first.items.filter(pk=first.tickets.order_by("pk").last().order_item_id).update(
        email="friend@example.com")
    QueueConfig.objects.create(match=match, is_active=True, opens_at=timezone.now())
    asked = manager.post(f"/api/admin/matches/{match.pk}/cancel-request",
                         {"reason": "Stadium closed by the police"}, format="json")
    assert asked.status_code == 201 and asked.json()["status"] == "REQUESTED"

    response = cancel(super_admin, match, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    match.refresh_from_db()
    assert (match.status, match.cancellation_reason) == (
        MatchStatus.CANCELLED, "Stadium closed by the police")
    assert not QueueConfig.objects.get(match=match).is_active
    assert set(Ticket.objects.values_list("status", flat=True)) == {
        TicketStatus.CANCELLED_MATCH_CANCELLED}
    for order in (first, second):
        order.refresh_from_db()
        refund = Refund.objects.get(reference=order.payment_reference)
        assert (refund.source, refund.amount, refund.fee_retained, refund.status) == (
            RefundSource.SYSTEM, order.total_amount, Decimal("0.00"), RefundStatus.COMPLETED)
        assert order.status == OrderStatus.REFUNDED
        order.payment.refresh_from_db()
        assert order.payment.status == PaymentStatus.REFUNDED

    emails = set(EmailLog.objects.filter(template_key="match_cancellation")
                 .values_list("recipient_email", flat=True))
    assert emails == {buyer.user.email, other_fan.user.email, "friend@example.com"}
    assert PushLog.objects.filter(notification_type="match_cancelled").count() == 2

    report = super_admin.get(f"/api/admin/matches/{match.pk}/cancellation").json()
    assert report | {"started_at": None, "completed_at": None} == {
        "match_id": match.pk, "status": "COMPLETED", "reason": "Stadium closed by the police",
        "requested_by": "matches@example.com", "approved_by": "boss@example.com",
        "started_at": None, "completed_at": None, "orders_total": 2, "orders_done": 2,
        "tickets_cancelled": 3, "tickets": {"CANCELLED_MATCH_CANCELLED": 3},
        "refunds": {"COMPLETED": {"count": 2, "amount": "127.20"}},
        "notifications_sent": 5}


def test_a_draft_match_is_cancelled_by_a_match_manager(manager, django_capture_on_commit_callbacks):
    from tests.seating.factories import make_match

    draft = make_match(status=MatchStatus.DRAFT)

    response = cancel(manager, draft, django_capture_on_commit_callbacks, reason="not played")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "COMPLETED"
    draft.refresh_from_db()
    assert draft.status == MatchStatus.CANCELLED


def test_the_sale_stops_and_a_payment_completing_afterwards_is_refunded(
        buyer, other_fan, match, zone, super_admin, django_capture_on_commit_callbacks):
    from tests.ticketing.test_checkout import buyer_profile, valid_oib

    pending = ordered(buyer, match, zone, 1)  # checked out, not paid yet
    buyer_profile(other_fan.user, oib=valid_oib(8181))
    assert add(other_fan, match, zone, 1).status_code == 201  # a cart still open

    cancel(super_admin, match, django_capture_on_commit_callbacks, reason="storm")

    assert set(Cart.objects.values_list("status", flat=True)) == {CartStatus.RELEASED}
    assert add(other_fan, match, zone, 1).status_code in (404, 409)
    with django_capture_on_commit_callbacks(execute=True):
        buyer.post(f"/api/orders/{pending.pk}/pay-local")
    pending.refresh_from_db()
    assert pending.status == OrderStatus.EXPIRED
    assert not Ticket.objects.exists()
    refund = Refund.objects.get(reference=pending.payment_reference)
    assert (refund.status, refund.reason) == (RefundStatus.COMPLETED, "match cancelled")


def test_a_job_killed_halfway_finishes_when_run_again_and_refunds_each_order_once(
        paid, buyer, match, super_admin, login):
    from tests.ticketing.test_checkout import buyer_profile, valid_oib

    orders = [paid(1)]
    for n in range(3):
        fan = login(f"fan{n}@example.com")
        buyer_profile(fan.user, oib=valid_oib(6000 + n))
        orders.append(paid(1, client=fan))
    cancel(super_admin, match, reason="storm")  # the job is not run: on-commit not executed
    cancellation = MatchCancellation.objects.get()
    _order_cancel(orders[0].pk, cancellation)  # the worker got this far, then died

    match_cancel_run(cancellation_id=cancellation.pk, batch=2)
    match_cancel_run(cancellation_id=cancellation.pk)  # and the resume sweep's late run

    cancellation.refresh_from_db()
    assert (cancellation.status, cancellation.orders_done) == (
        MatchCancellationStatus.COMPLETED, 4)
    for order in orders:
        assert Refund.objects.filter(reference=order.payment_reference).count() == 1
    assert not Ticket.objects.filter(status=TicketStatus.VALID).exists()


def test_a_match_is_cancelled_once(super_admin, match, django_capture_on_commit_callbacks):
    cancel(super_admin, match, django_capture_on_commit_callbacks, reason="storm")

    assert_error(cancel(super_admin, match, reason="again"), 409, "match_already_cancelled")


def test_a_reason_is_required(super_admin, match):
    assert_error(cancel(super_admin, match), 422, "reason_required")
