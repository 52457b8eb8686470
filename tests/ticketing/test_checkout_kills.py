"""A web worker killed mid-checkout (SIGKILL, a real process): nothing is half-written and
nothing stays held. Killed inside the order's transaction, PostgreSQL rolls it all back and the
fan's cart is as it was; killed after the commit while Stripe is asked for the intent, the
order waits for its payment: a retry pays it (with its tickets), or the hold runs out and the
expiry sweeps release it and its seats. (Celery tasks killed mid-task: test_task_kills.py.)"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from payments.models import Payment
from seating.models import SeatInventory, SeatStatus
from seating.tasks import holds_sweep
from tests.payments.conftest import intent_event, sign, stripe_server  # noqa: F401  a fixture
from tests.ticketing.test_checkout import adult, buyer, cart_of  # noqa: F401  a fixture
from ticketing.models import Cart, CartStatus, Order, OrderStatus, Ticket
from ticketing.tasks import carts_expire, orders_expire

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = """
import django, sys
django.setup()
from ticketing.models import User
from ticketing.services.checkout import checkout_submit
checkout_submit(user=User.objects.get(pk={user_id}), cart_id={cart_id}, holders={holders})
"""


def checkout_process(cart: Cart, stripe_base: str) -> subprocess.Popen:
    """A web worker's checkout of `cart`, in its own process on the test database."""
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "PAYMENTS_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_x",
           "STRIPE_WEBHOOK_SECRET": "whsec_x", "STRIPE_API_BASE": stripe_base,
           "DB_LOCK_TIMEOUT_MS": "60000"}  # it waits where the test makes it wait
    code = CHECKOUT.format(user_id=cart.user_id, cart_id=cart.pk, holders=[{}, adult()])
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def wait_for(condition, what: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the checkout ended before {what}: "
                                 f"{process.stderr.read().decode()[-2000:]}")
        assert time.monotonic() < deadline, f"the checkout never reached {what}"
        time.sleep(0.05)


@pytest.fixture
def silent_stripe():
    """A Stripe that takes the connection and never answers: the worker waits there."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    for peer, _ in accepted:
        peer.close()
    server.close()


def held_seats(cart: Cart) -> list[SeatInventory]:
    return list(SeatInventory.objects.filter(hold_owner=f"cart:{cart.pk}"))


def after_the_hold_the_sweeps_run(cart: Cart) -> None:
    with time_machine.travel(timezone.now() + timedelta(
            minutes=django_settings.CART_HOLD_MINUTES + 1)):
        carts_expire()
        orders_expire()
        holds_sweep()


def assert_released(cart: Cart, seat_ids: list[int]) -> None:
    assert not Order.objects.exclude(status=OrderStatus.EXPIRED).exists()
    assert not Ticket.objects.exists()
    seats = SeatInventory.objects.filter(pk__in=seat_ids)
    assert {seat.status for seat in seats} == {SeatStatus.AVAILABLE}
    assert not any(seat.hold_owner for seat in seats)
    assert Cart.objects.get(pk=cart.pk).status != CartStatus.OPEN


def test_killed_inside_the_orders_transaction_nothing_was_written(buyer, match, zone):  # noqa: F811
    cart = cart_of(buyer, match, zone, 2)
    seat_ids = [seat.pk for seat in held_seats(cart)]
    with connection.cursor() as cursor:  # the worker's payment INSERT waits on this lock
        cursor.execute("BEGIN; LOCK TABLE payments_payment IN EXCLUSIVE MODE")
        process = checkout_process(cart, "http://127.0.0.1:9")
        try:
            wait_for(lambda: _waiting_on_a_lock(cursor), "the payment row", process)
            kill(process)
        finally:
            cursor.execute("ROLLBACK")

    assert not Order.objects.exists() and not Payment.objects.exists()
    assert len(held_seats(cart)) == 2  # the cart still holds its seats until it expires
    after_the_hold_the_sweeps_run(cart)
    assert_released(cart, seat_ids)


def _waiting_on_a_lock(cursor) -> bool:
    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted "
                   "AND relation = 'payments_payment'::regclass")
    return cursor.fetchone()[0] > 0


def test_killed_while_stripe_is_asked_the_hold_runs_out_and_all_is_released(
        buyer, match, zone, silent_stripe):  # noqa: F811
    base, accepted = silent_stripe
    cart = cart_of(buyer, match, zone, 2)
    seat_ids = [seat.pk for seat in held_seats(cart)]
    process = checkout_process(cart, base)
    wait_for(lambda: accepted, "Stripe", process)
    kill(process)

    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING_PAYMENT  # committed, waiting for its payment
    assert not Payment.objects.get().provider_payment_id
    after_the_hold_the_sweeps_run(cart)
    assert_released(cart, seat_ids)


def test_killed_while_stripe_is_asked_a_retry_pays_the_order_with_its_tickets(
        buyer, api, match, zone, silent_stripe, stripe_server):  # noqa: F811
    base, accepted = silent_stripe
    cart = cart_of(buyer, match, zone, 2)
    process = checkout_process(cart, base)
    wait_for(lambda: accepted, "Stripe", process)
    kill(process)

    order = Order.objects.get()
    retried = buyer.post(f"/api/orders/{order.pk}/retry-payment")
    assert retried.status_code == 201, retried.content
    payment = Payment.objects.get()
    assert payment.provider_payment_id  # the same payment row: one key, one intent
    body = intent_event("payment_intent.succeeded", payment)
    webhook = api.post("/api/webhooks/stripe", body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign(body))
    assert webhook.status_code == 200, webhook.content

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert Ticket.objects.filter(order=order).count() == 2
    assert [r["idempotency_key"] for r in stripe_server.calls("/v1/payment_intents")] == [
        payment.idempotency_key]
