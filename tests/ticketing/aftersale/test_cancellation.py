"""POST /api/orders/<id>/cancel-tickets (E9-F8): the buyer cancels tickets until 48 hours
before kick-off; the seats go back on sale and the price with its share of the fee is
refunded through the one refund service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import EmailLog, PushLog
from payments.models import Refund, RefundSource, RefundStatus
from seating.models import SeatAuditLog, SeatInventory, SeatStatus
from tests.assertions import assert_error
from tests.ticketing.aftersale.conftest import paid_at_stripe
from ticketing.aftersale.models import CancellationRequest, CancellationStatus
from ticketing.models import Order, OrderStatus, RefundState, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def cancel(client, order, ticket_ids, capture=None, reason="cannot come"):
    url = f"/api/orders/{order.pk}/cancel-tickets"
    body = {"ticket_ids": ticket_ids, "reason": reason}
    if capture is None:
        return client.post(url, body, format="json")
    with capture(execute=True):
        return client.post(url, body, format="json")


def test_the_buyer_cancels_a_ticket_and_gets_its_price_and_fee_share_back(
        paid, buyer, django_capture_on_commit_callbacks):
    order = paid(2)
    friend = order.tickets.order_by("pk").last()
    order.items.filter(pk=friend.order_item_id).update(email="friend@example.com")

    response = cancel(buyer, order, [friend.pk], django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["ticket_ids"], body["ticket_status"]) == ([friend.pk], "CANCELLED")
    assert (body["refund"]["amount"], body["refund"]["fee_retained"],
            body["refund"]["source"]) == ("42.40", "0.00", "SELF_SERVICE")
    request = CancellationRequest.objects.get()
    assert (request.ticket_ids, request.refund_amount, request.status) == (
        [friend.pk], Decimal("42.40"), CancellationStatus.COMPLETED)  # the local refund is done
    assert request.refund.status == RefundStatus.COMPLETED
    friend.refresh_from_db()
    assert friend.status == TicketStatus.CANCELLED
    seat = SeatInventory.objects.get(pk=friend.inventory_id)
    assert seat.status == SeatStatus.AVAILABLE
    assert SeatAuditLog.objects.filter(inventory=seat, to_status=SeatStatus.AVAILABLE).exists()
    order.refresh_from_db()
    assert (order.status, order.refund_status) == (OrderStatus.COMPLETED, RefundState.PARTIAL)
    sent = dict(EmailLog.objects.values_list("template_key", "recipient_email"))
    assert sent["cancellation_confirmation"] == buyer.user.email
    assert sent["ticket_cancellation"] == "friend@example.com"
    assert PushLog.objects.filter(user=buyer.user, notification_type="tickets_cancelled").exists()


def test_cancelling_every_ticket_refunds_the_whole_order_fee_included(
        paid, buyer, django_capture_on_commit_callbacks):
    order = paid(2)

    cancel(buyer, order, list(order.tickets.values_list("pk", flat=True)),
           django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert (order.status, order.refund_status) == (OrderStatus.REFUNDED, RefundState.FULL)
    order.payment.refresh_from_db()
    assert order.payment.refunded_amount == order.total_amount == Decimal("84.80")


def test_less_than_48_hours_before_kick_off_it_is_refused(paid, buyer, match):
    order = paid(1)
    match.kick_off_time = timezone.now() + timedelta(hours=47)
    match.save(update_fields=["kick_off_time"])

    response = cancel(buyer, order, [order.tickets.get().pk])

    assert_error(response, 422, "after_sale_closed")
    assert "48 hours" in response.json()["detail"]
    assert order.tickets.get().status == TicketStatus.VALID
    assert not CancellationRequest.objects.exists() and not Refund.objects.exists()


def test_a_match_may_set_its_own_cutoff(paid, buyer, match, django_capture_on_commit_callbacks):
    order = paid(1)
    match.kick_off_time = timezone.now() + timedelta(hours=20)
    match.after_sale_cutoff_hours = 12
    match.save(update_fields=["kick_off_time", "after_sale_cutoff_hours"])

    response = cancel(buyer, order, [order.tickets.get().pk], django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content


def test_only_the_buyer_cancels(paid, buyer, other_fan, api):
    order = paid(2)
    ticket = order.tickets.order_by("pk").last()

    assert_error(cancel(other_fan, order, [ticket.pk]), 403, "not_buyer")
    assert cancel(api, order, [ticket.pk]).status_code == 401
    assert_error(cancel(other_fan, Order(pk=424242), [1]), 404, "order_not_found")
    assert not CancellationRequest.objects.exists()


def test_a_holder_who_is_not_the_buyer_cannot_cancel(
        paid, buyer, login, django_capture_on_commit_callbacks):
    """The holder of a ticket bought by a friend sees it but cannot give it back."""
    holder = login("friend@example.com")
    order = paid(2)
    ticket = order.tickets.order_by("pk").last()
    order.items.filter(pk=ticket.order_item_id).update(email="friend@example.com")

    assert_error(cancel(holder, order, [ticket.pk]), 403, "not_buyer")


def test_tickets_already_ended_or_transferred_are_refused_by_id(
        paid, buyer, django_capture_on_commit_callbacks):
    order = paid(2)
    first, second = order.tickets.order_by("pk")
    cancel(buyer, order, [first.pk], django_capture_on_commit_callbacks)
    Ticket.objects.filter(pk=second.pk).update(transfer_count=1)

    again = cancel(buyer, order, [first.pk])
    assert_error(again, 409, "ticket_not_valid")
    assert str(first.pk) in again.json()["detail"]
    transferred = cancel(buyer, order, [second.pk])
    assert_error(transferred, 409, "ticket_transferred")
    assert str(second.pk) in transferred.json()["detail"]
    assert_error(cancel(buyer, order, [first.pk + 1000]), 422, "ticket_not_in_order")
    assert CancellationRequest.objects.count() == 1


def test_a_refund_stripe_refuses_marks_the_cancellation_failed(
        paid, buyer, stripe_server, django_capture_on_commit_callbacks):
    order = paid(1)
    paid_at_stripe(order)
    stripe_server.refund_declines = 1

    cancel(buyer, order, [order.tickets.get().pk], django_capture_on_commit_callbacks)

    request = CancellationRequest.objects.get()
    assert (request.status, request.refund.status) == (CancellationStatus.FAILED,
                                                       RefundStatus.FAILED)
    assert request.refund.source == RefundSource.SELF_SERVICE


def test_a_second_order_of_the_same_buyer_is_untouched(
        paid, buyer, django_capture_on_commit_callbacks):
    kept = paid(1)
    order = paid(1)

    cancel(buyer, order, [order.tickets.get().pk], django_capture_on_commit_callbacks)

    assert kept.tickets.get().status == TicketStatus.VALID
