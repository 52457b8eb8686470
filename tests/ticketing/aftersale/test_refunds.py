"""POST /api/admin/orders/<id>/refund (E8-F3, E9-F7): a supervisor refunds an order or some of
its tickets; the price goes back, the fee is kept, the tickets stop opening gates and their
seats are on sale again. Against the local Stripe server: one refund per ticket, whatever is
retried or replayed."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.roles import Role
from payments.models import PaymentStatus, Refund, RefundSource, RefundStatus
from payments.refunds import refund_send_task
from payments.signals import refund_completed
from seating.models import SeatAuditLog, SeatInventory, SeatStatus
from tests.assertions import assert_error
from tests.payments.conftest import event, sign
from tests.ticketing.aftersale.conftest import paid_at_stripe
from ticketing.models import Order, OrderStatus, RefundState, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/webhooks/stripe"


def refund(client, order, capture=None, **body):
    url = f"/api/admin/orders/{order.pk}/refund"
    body = {"reason": "fan called support"} | body
    if capture is None:
        return client.post(url, body, format="json")
    with capture(execute=True):
        return client.post(url, body, format="json")


def webhook(api, event_type, obj, capture):
    body = event(event_type, obj)
    with capture(execute=True):
        return api.post(WEBHOOK, data=body, content_type="application/json",
                        HTTP_STRIPE_SIGNATURE=sign(body))


# --- the refund --------------------------------------------------------------------------------

def test_refunding_one_ticket_gives_back_its_price_keeps_the_fee_and_frees_the_seat(
        paid, buyer, supervisor, django_capture_on_commit_callbacks):
    order = paid(2)
    first, second = order.tickets.order_by("pk")

    response = refund(supervisor, order, django_capture_on_commit_callbacks,
                      ticket_ids=[first.pk])

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["ticket_ids"] == [first.pk] and body["ticket_status"] == "REFUNDED"
    assert body["refund"] | {"id": None} == {
        "id": None, "reference": order.payment_reference, "amount": "40.00",
        "fee_retained": "2.40", "currency": "EUR", "source": "SUPPORT", "status": "PENDING",
        "reason": "fan called support"}
    row = Refund.objects.get()
    assert (row.status, row.requested_by_id) == (RefundStatus.COMPLETED, supervisor.user.pk)
    first.refresh_from_db()
    assert (first.status, first.refund_id) == (TicketStatus.REFUNDED, row.pk)
    seat = SeatInventory.objects.get(pk=first.inventory_id)
    assert seat.status == SeatStatus.AVAILABLE
    assert SeatAuditLog.objects.filter(inventory=seat, from_status=SeatStatus.SOLD,
                                       to_status=SeatStatus.AVAILABLE, order_id=order.pk).exists()
    assert SeatInventory.objects.get(pk=second.inventory_id).status == SeatStatus.SOLD

    mine = buyer.get(f"/api/orders/{order.pk}").json()
    assert (mine["status"], mine["refund_status"], mine["refunded_amount"]) == (
        "COMPLETED", "PARTIAL", "40.00")
    assert {t["id"]: t["status"] for t in mine["tickets"]} == {
        first.pk: "REFUNDED", second.pk: "VALID"}
    order.payment.refresh_from_db()
    assert (order.payment.status, order.payment.refunded_amount) == (
        PaymentStatus.PARTIALLY_REFUNDED, Decimal("40.00"))


def test_refunding_the_whole_order_refunds_every_valid_ticket(
        paid, buyer, supervisor, django_capture_on_commit_callbacks):
    order = paid(2)

    response = refund(supervisor, order, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    assert response.json()["refund"]["amount"] == "80.00"
    order.refresh_from_db()
    assert (order.status, order.refund_status) == (OrderStatus.REFUNDED, RefundState.FULL)
    assert set(order.tickets.values_list("status", flat=True)) == {TicketStatus.REFUNDED}
    assert buyer.get(f"/api/orders/{order.pk}").json()["refund_status"] == "FULL"


def test_a_refunded_ticket_no_longer_shows_its_qr_code(
        paid, buyer, supervisor, match, login, django_capture_on_commit_callbacks,
        time_machine):
    order = paid(1)
    ticket = order.tickets.get()
    refund(supervisor, order, django_capture_on_commit_callbacks)

    time_machine.move_to(match.kick_off_time - timedelta(hours=1))  # when the QR would show
    shown = login(buyer.user).get(f"/api/tickets/{ticket.pk}").json()

    assert shown["status"] == "REFUNDED" and "qr_png_base64" not in shown


def test_a_ticket_is_refunded_once(paid, supervisor, django_capture_on_commit_callbacks):
    order = paid(2)
    first = order.tickets.order_by("pk").first()
    refund(supervisor, order, django_capture_on_commit_callbacks, ticket_ids=[first.pk])

    again = refund(supervisor, order, django_capture_on_commit_callbacks, ticket_ids=[first.pk])

    assert_error(again, 409, "ticket_not_valid")
    assert Refund.objects.count() == 1


def test_the_rest_of_a_partly_refunded_order_can_still_be_refunded(
        paid, supervisor, django_capture_on_commit_callbacks):
    order = paid(2)
    first, second = order.tickets.order_by("pk")
    refund(supervisor, order, django_capture_on_commit_callbacks, ticket_ids=[first.pk])

    rest = refund(supervisor, order, django_capture_on_commit_callbacks)

    assert rest.status_code == 202 and rest.json()["ticket_ids"] == [second.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    order.payment.refresh_from_db()
    assert order.payment.refunded_amount == Decimal("80.00")  # the fee 4.80 kept


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"ticket_ids": [999999]}, 422, "ticket_not_in_order"),
    ({"reason": ""}, 400, None),
    ({"ticket_ids": []}, 400, None),
])
def test_bad_requests_say_what_is_wrong_and_change_nothing(paid, supervisor, body, status, code):
    order = paid(1)

    response = refund(supervisor, order, **body)

    assert response.status_code == status, response.content
    if code:
        assert_error(response, status, code)
    assert not Refund.objects.exists()
    assert order.tickets.get().status == TicketStatus.VALID


def test_only_a_supervisor_refunds(paid, buyer, make_user, back_office, api):
    order = paid(1)
    agent = back_office(make_user("agent@example.com", roles=[Role.SUPPORT_AGENT]))

    assert refund(buyer, order).status_code == 403
    assert refund(agent, order).status_code == 403
    assert refund(api, order).status_code == 401
    assert not Refund.objects.exists()


def test_an_unknown_order_is_404(supervisor):
    assert_error(refund(supervisor, Order(pk=987654)), 404, "order_not_found")


def test_a_completed_refund_signals_the_credit_note_hook(
        paid, supervisor, django_capture_on_commit_callbacks):
    order = paid(1)
    heard = []

    def receiver(sender, refund, **kwargs):
        heard.append((refund.reference, refund.amount, refund.source))

    refund_completed.connect(receiver)
    try:
        refund(supervisor, order, django_capture_on_commit_callbacks)
    finally:
        refund_completed.disconnect(receiver)

    assert heard == [(order.payment_reference, Decimal("40.00"), RefundSource.SUPPORT)]


# --- at Stripe ------------------------------------------------------------------------------

def test_the_refund_goes_to_stripe_with_its_own_key_and_a_webhook_completes_it(
        paid, supervisor, stripe_server, api, django_capture_on_commit_callbacks):
    order = paid(2)
    payment = paid_at_stripe(order)
    stripe_server.refund_status = "pending"  # Stripe confirms later, by webhook

    refund(supervisor, order, django_capture_on_commit_callbacks)

    [call] = stripe_server.calls("/v1/refunds")
    row = Refund.objects.get()
    assert call["idempotency_key"] == f"refund:{row.pk}:1"
    assert call["form"] == {"payment_intent": payment.provider_payment_id, "amount": "8000",
                            "metadata[refund_id]": str(row.pk),
                            "metadata[reference]": order.payment_reference}
    assert (row.status, row.provider_refund_id.startswith("re_")) == (
        RefundStatus.PROCESSING, True)

    done = {"id": row.provider_refund_id, "object": "refund", "amount": 8000,
            "status": "succeeded", "payment_intent": payment.provider_payment_id}
    for _ in range(2):  # delivered, then replayed
        assert webhook(api, "refund.updated", done,
                       django_capture_on_commit_callbacks).status_code == 200

    row.refresh_from_db()
    payment.refresh_from_db()
    assert row.status == RefundStatus.COMPLETED
    assert (payment.status, payment.refunded_amount) == (
        PaymentStatus.PARTIALLY_REFUNDED, Decimal("80.00"))
    assert Refund.objects.count() == 1


def test_a_webhook_that_arrives_before_our_answer_is_matched_by_its_metadata(
        paid, supervisor, stripe_server, api, django_capture_on_commit_callbacks):
    order = paid(1)
    payment = paid_at_stripe(order)
    stripe_server.failures["/v1/refunds"] = 1  # our call fails; Stripe made it anyway
    refund(supervisor, order, django_capture_on_commit_callbacks)
    row = Refund.objects.get()
    assert row.provider_refund_id is None

    charge = {"id": "ch_1", "object": "charge", "payment_intent": payment.provider_payment_id,
              "amount": 4240, "amount_refunded": 4000, "refunded": False,
              "refunds": {"object": "list", "data": [
                  {"id": "re_from_stripe", "object": "refund", "amount": 4000,
                   "status": "succeeded", "metadata": {"refund_id": str(row.pk)}}]}}
    webhook(api, "charge.refunded", charge, django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.provider_refund_id, row.status) == ("re_from_stripe", RefundStatus.COMPLETED)
    assert Refund.objects.count() == 1


def test_a_retried_task_sends_the_same_key_and_refunds_once(
        paid, supervisor, stripe_server, django_capture_on_commit_callbacks):
    order = paid(1)
    paid_at_stripe(order)
    stripe_server.failures["/v1/refunds"] = 1
    refund(supervisor, order, django_capture_on_commit_callbacks)  # Stripe is down: a 500
    row = Refund.objects.get()
    assert row.status == RefundStatus.PROCESSING

    refund_send_task.delay(row.pk)  # the retry
    refund_send_task.delay(row.pk)  # and a redelivery of it

    calls = stripe_server.calls("/v1/refunds")
    assert len(calls) == 2 and {c["idempotency_key"] for c in calls} == {f"refund:{row.pk}:1"}
    row.refresh_from_db()
    assert row.status == RefundStatus.COMPLETED


def test_a_refund_stripe_refuses_fails_and_a_supervisor_retries_it_in_the_admin(
        paid, supervisor, stripe_server, django_capture_on_commit_callbacks):
    order = paid(1)
    paid_at_stripe(order)
    stripe_server.refund_declines = 1
    refund(supervisor, order, django_capture_on_commit_callbacks)
    row = Refund.objects.get()
    assert row.status == RefundStatus.FAILED
    assert "charged back" in row.failure_message

    listed = supervisor.get("/admin/payments/refund/?status__exact=FAILED")
    assert listed.status_code == 200 and f"order:{order.pk}" in listed.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        supervisor.post("/admin/payments/refund/", {"action": "retry",
                                                    "_selected_action": [row.pk]})

    row.refresh_from_db()
    assert (row.status, row.attempt) == (RefundStatus.COMPLETED, 2)
    assert [c["idempotency_key"] for c in stripe_server.calls("/v1/refunds")] == [
        f"refund:{row.pk}:1", f"refund:{row.pk}:2"]
    assert Ticket.objects.get(order=order).status == TicketStatus.REFUNDED
