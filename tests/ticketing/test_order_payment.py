"""An order's payment outcomes (E4-F7, E4-F8): paid while held -> tickets; paid too late ->
EXPIRED and refunded; failed -> retryable. Payments go through the local provider and the real
signed-webhook service; the receivers run on commit as in production."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from core.models import EmailLog, PushLog
from payments.models import Payment, PaymentStatus, Refund
from payments.providers import webhook_secret, webhook_sign
from payments.signals import payment_succeeded
from queueing import services as queue
from queueing.models import QueueConfig, QueueStatus
from seating.models import SeatAuditLog, SeatInventory, SeatStatus
from tests.concurrency import run_together
from tests.payments.conftest import intent_event
from tests.ticketing import test_checkout as base
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import adult, assert_error, buyer_profile, cart_of, checkout
from ticketing.models import CartStatus, Order, OrderStatus, Ticket

pytestmark = pytest.mark.django_db

# The checkout tests' fixtures: local payments, a fan with a complete profile, a match on sale.
local_payments, buyer = base.local_payments, base.buyer  # match and zone: conftest.py
WEBHOOK = "/api/webhooks/stripe"


def ordered(client, match, zone, quantity=2) -> Order:
    cart = cart_of(client, match, zone, quantity)
    holders = [{}] + [adult(first_name=f"Friend{n}") for n in range(1, quantity)]
    response = checkout(client, cart, holders)
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["order"]["id"])


def pay(client, order, capture):
    with capture(execute=True):
        return client.post(f"/api/orders/{order.id}/pay-local")


def deliver(client, body: bytes):
    return client.post(WEBHOOK, data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=webhook_sign(body, webhook_secret()))


def order_seats(order):
    return SeatInventory.objects.filter(order_items__order=order)


# --- paid in time -----------------------------------------------------------------------------

def test_a_local_payment_completes_the_order_and_issues_one_ticket_per_seat(
        buyer, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 3)

    response = pay(buyer, order, django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.content
    assert buyer.get(f"/api/orders/{order.id}").json()["status"] == OrderStatus.COMPLETED
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.paid_at is not None
    assert order.payment == Payment.objects.get(status=PaymentStatus.SUCCEEDED)
    assert order.cart.status == CartStatus.CHECKED_OUT
    seats = list(order_seats(order))
    assert len(seats) == 3 and {s.status for s in seats} == {SeatStatus.SOLD}
    sold = SeatAuditLog.objects.filter(to_status=SeatStatus.SOLD)
    assert sorted(sold.values_list("inventory_id", flat=True)) == sorted(s.id for s in seats)
    assert set(sold.values_list("order_id", flat=True)) == {order.id}
    tickets = list(Ticket.objects.filter(order=order))
    assert sorted(t.inventory_id for t in tickets) == sorted(s.id for s in seats)
    assert len({t.barcode for t in tickets}) == 3
    assert all(len(t.barcode) == 18 and t.barcode.isdigit() for t in tickets)
    assert [t.holder_name for t in tickets] == ["Ana Horvat", "Friend1 Kovač", "Friend2 Kovač"]
    email = EmailLog.objects.get(template_key="order_confirmation")
    assert email.recipient_email == buyer.user.email
    assert email.variables_json["order_number"] == order.number
    assert email.variables_json["total"] == str(order.total_amount)
    push = PushLog.objects.get(user=buyer.user)
    assert push.title == "Your tickets are ready"


def test_a_standing_order_sells_the_hold_and_issues_a_ticket_per_place(
        buyer, match, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from seating.models import GeneralAdmissionHold, HoldStatus
    from tests.seating.factories import make_match_sector, make_price_category

    category = make_price_category(match=match, name="Standing", price=Decimal("15.00"))
    make_match_sector(match=match, code="S", total=50, price_category=category)
    order = ordered(buyer, match, category, 2)

    pay(buyer, order, django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert GeneralAdmissionHold.objects.get().status == HoldStatus.SOLD
    assert Ticket.objects.filter(order=order, inventory__isnull=True).count() == 2


def test_the_succeeded_webhook_replayed_five_times_issues_tickets_once(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 2)
    payment = Payment.objects.get()
    same = intent_event("payment_intent.succeeded", payment)

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert deliver(api, same).status_code == 200
        for _ in range(5):  # distinct event ids for the same intent
            assert deliver(api, intent_event("payment_intent.succeeded",
                                             payment)).status_code == 200
        for _ in range(5):  # and the signal itself delivered again
            payment_succeeded.send(sender=Payment, payment=Payment.objects.get())

    assert_completed_once(order)


def assert_completed_once(order) -> None:
    """Completed with its two tickets, its seats sold, one confirmation and no refund."""
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert Ticket.objects.filter(order=order).count() == 2
    assert SeatAuditLog.objects.filter(to_status=SeatStatus.SOLD).count() == 2
    assert EmailLog.objects.filter(template_key="order_confirmation").count() == 1
    assert not Refund.objects.exists()


def test_buying_through_the_waiting_room_completes_the_window(
        buyer, match, zone, django_capture_on_commit_callbacks):
    QueueConfig.objects.create(match=match, is_active=True, window_minutes=15,
                               opens_at=timezone.now() - timedelta(minutes=1))
    queue.queue_join(match_id=match.id, user=buyer.user)
    [entry] = queue.queue_admit(match=match)
    order = ordered(buyer, match, zone, 1)

    pay(buyer, order, django_capture_on_commit_callbacks)

    entry.refresh_from_db()
    assert entry.status == QueueStatus.COMPLETED
    assert Order.objects.get().status == OrderStatus.COMPLETED


# --- paid too late ----------------------------------------------------------------------------

def test_a_payment_after_the_hold_expired_expires_the_order_and_is_refunded(
        buyer, login, match, django_capture_on_commit_callbacks):
    zone, _ = seated_zone(match, ["XX"])
    other = login("other@example.com")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        order = ordered(buyer, match, zone, 2)
        clock.shift(timedelta(minutes=settings.CART_HOLD_MINUTES, seconds=1))
        buyer, other = login(buyer.user), login(other.user)
        assert cart_of(other, match, zone, 2)  # the seats went to someone else meanwhile

        response = pay(buyer, order, django_capture_on_commit_callbacks)
        body = buyer.get(f"/api/orders/{order.id}").json()

    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.REFUNDED
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason) == (order.total_amount, "hold expired before payment")
    assert not Ticket.objects.exists()
    assert not SeatInventory.objects.filter(status=SeatStatus.SOLD).exists()
    assert not SeatAuditLog.objects.filter(order_id=order.id).exists()
    assert {s.hold_owner for s in order_seats(order)} == {f"cart:{other.user.carts.get().id}"}
    assert (body["refund_status"], body["refunded_amount"]) == ("FULL",
                                                                str(order.total_amount))


def test_an_expired_hold_nobody_took_is_not_sold_either(
        buyer, login, match, zone, django_capture_on_commit_callbacks):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        order = ordered(buyer, match, zone, 1)
        clock.shift(timedelta(minutes=settings.CART_HOLD_MINUTES, seconds=1))
        buyer = login(buyer.user)

        pay(buyer, order, django_capture_on_commit_callbacks)

    assert Order.objects.get().status == OrderStatus.EXPIRED
    assert Refund.objects.count() == 1
    assert not SeatInventory.objects.filter(status=SeatStatus.SOLD).exists()


# --- failed, then retried ---------------------------------------------------------------------

def fail(client, payment, capture):
    with capture(execute=True):
        body = intent_event("payment_intent.payment_failed", payment,
                            last_payment_error={"message": "Your card was declined."})
        assert deliver(client, body).status_code == 200


def test_a_failed_payment_fails_the_order_and_a_retry_can_succeed(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 2)

    fail(api, Payment.objects.get(), django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert buyer.get(f"/api/orders/{order.id}").json()["payment"]["failure_message"] == \
        "Your card was declined."
    assert_error(buyer.post(f"/api/orders/{order.id}/pay-local"), 409, "order_not_payable")

    response = buyer.post(f"/api/orders/{order.id}/retry-payment")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["order"]["status"] == OrderStatus.PENDING_PAYMENT
    second = Payment.objects.get(idempotency_key=f"order:{order.id}:2")
    assert body["payment"]["client_secret"] == second.client_secret
    assert pay(buyer, order, django_capture_on_commit_callbacks).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.payment) == (OrderStatus.COMPLETED, second)
    assert Ticket.objects.filter(order=order).count() == 2


def test_a_retry_after_the_hold_expired_expires_the_order(
        buyer, api, login, match, zone, django_capture_on_commit_callbacks):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        order = ordered(buyer, match, zone, 1)
        fail(api, Payment.objects.get(), django_capture_on_commit_callbacks)
        clock.shift(timedelta(minutes=settings.CART_HOLD_MINUTES, seconds=1))
        buyer = login(buyer.user)

        assert_error(buyer.post(f"/api/orders/{order.id}/retry-payment"), 409, "hold_expired")

    assert Order.objects.get().status == OrderStatus.EXPIRED
    assert Payment.objects.count() == 1


def test_a_late_failure_of_an_old_attempt_changes_nothing(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 1)
    first = Payment.objects.get()
    fail(api, first, django_capture_on_commit_callbacks)
    buyer.post(f"/api/orders/{order.id}/retry-payment")
    second = Payment.objects.get(idempotency_key=f"order:{order.id}:2")

    fail(api, first, django_capture_on_commit_callbacks)  # replayed: payments ignores it too

    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
    assert second.status == PaymentStatus.PENDING


# --- the order API ----------------------------------------------------------------------------

def test_the_buyer_sees_the_order_with_items_tickets_and_payment(
        buyer, match, zone, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    order = ordered(buyer, match, zone, 2)
    pay(buyer, order, django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(12):
        response = buyer.get(f"/api/orders/{order.id}")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["total_amount"]) == (
        order.number, "COMPLETED", str(order.total_amount))
    assert len(body["items"]) == 2 and len(body["tickets"]) == 2
    assert {t["status"] for t in body["tickets"]} == {"VALID"}
    assert body["items"][0]["oib"].endswith("1530") and body["items"][0]["oib"].startswith("*")
    assert body["payment"]["status"] == "SUCCEEDED"
    assert (body["refund_status"], body["refunded_amount"]) == ("NONE", "0.00")


@pytest.mark.parametrize(("method", "path"), [
    pytest.param("get", "/api/orders/{}", id="detail"),
    pytest.param("post", "/api/orders/{}/retry-payment", id="retry-payment"),
    pytest.param("post", "/api/orders/{}/pay-local", id="pay-local"),
])
def test_another_fans_order_is_answered_as_if_it_did_not_exist(buyer, login, match, zone,
                                                               method, path):
    order = ordered(buyer, match, zone, 1)
    other = login("other@example.com")

    foreign = getattr(other, method)(path.format(order.id))
    missing = getattr(other, method)(path.format(999999))

    assert_error(foreign, 404, "order_not_found")
    assert foreign.json() == missing.json()
    assert Order.objects.get(pk=order.pk).status == order.status


def test_pay_local_does_not_exist_with_stripe(buyer, match, zone, settings):
    order = ordered(buyer, match, zone, 1)
    settings.PAYMENTS_PROVIDER = "stripe"

    assert buyer.post(f"/api/orders/{order.id}/pay-local").status_code == 404
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


# --- concurrency ------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_deliveries_of_one_success_issue_one_set_of_tickets(
        fan, email_templates, local_payments):
    buyer_profile(fan.user)
    match = on_sale_match()
    zone, _ = seated_zone(match)
    order = ordered(fan, match, zone, 2)
    Payment.objects.update(status=PaymentStatus.SUCCEEDED)  # as the webhook left it
    payment = Payment.objects.get()
    results = run_together(2, lambda _: payment_succeeded.send(sender=Payment, payment=payment))
    errors = [r for r in results if isinstance(r, Exception)]

    assert errors == []
    assert_completed_once(order)


def test_bought_tickets_count_towards_the_four_ticket_limit(
        buyer, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, quantity=3)
    pay(buyer, order, django_capture_on_commit_callbacks)

    refused = buyer.post("/api/cart/add", {"match_id": match.id, "zone_id": zone.id,
                                           "quantity": 2}, format="json")
    allowed = buyer.post("/api/cart/add", {"match_id": match.id, "zone_id": zone.id,
                                           "quantity": 1}, format="json")

    assert_error(refused, 422, "ticket_limit_reached")
    assert allowed.status_code == 201


def test_the_sweep_expires_unpaid_orders_whose_hold_lapsed(buyer, match, zone):
    from ticketing.tasks import orders_expire

    order = ordered(buyer, match, zone, quantity=1)
    assert orders_expire.delay().get() == 0  # its hold is still live
    order.cart.expires_at = timezone.now() - timedelta(seconds=1)
    order.cart.save(update_fields=["expires_at"])

    assert orders_expire.delay().get() == 1

    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


def test_a_late_payment_is_refunded_once_even_if_the_refund_task_runs_again(
        buyer, match, zone, django_capture_on_commit_callbacks):
    from payments.tasks import payment_refund_all

    order = ordered(buyer, match, zone, quantity=1)
    order.cart.expires_at = timezone.now() - timedelta(seconds=1)
    order.cart.save(update_fields=["expires_at"])
    pay(buyer, order, django_capture_on_commit_callbacks)
    payment = Payment.objects.get(reference=f"order:{order.id}")

    payment_refund_all.delay(payment.pk, "hold expired before payment")

    assert Refund.objects.filter(payment=payment).count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
