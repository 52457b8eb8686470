"""Query budgets of the five fan requests of a sale (zones, cart add, checkout, the payment
webhook, the order): the on-sale path runs them for every order, so a query more is a query more
per ticket sold. The budgets are what each request needs today (inside the test's transaction,
so every atomic block counts a SAVEPOINT and a RELEASE; bench/onsale_profile.py prints the
counts outside one); the portable allocator on SQLite needs more for the cart. They must not
grow with the number of tickets in the order."""

import pytest
from django.db import connection

from payments.models import Payment
from tests.payments.conftest import intent_event
from tests.ticketing import test_checkout as base
from tests.ticketing.test_checkout import adult, cart_of, checkout
from tests.ticketing.test_order_payment import deliver
from ticketing.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

local_payments, buyer = base.local_payments, base.buyer  # match and zone: conftest.py

ZONES = 2
CHECKOUT = 14
# 28, the gates' spare barcodes asked for (accessctl.gates.receivers), and the invoice written
# (ticketing.invoicing: a task of its own in production, run eagerly here)
WEBHOOK = 36
ORDER = 5  # with the order's invoice


def cart_budget() -> int:
    # one of them asks for the fan's live petrol PINs (ticketing.signals.tickets_promised)
    return 17 if connection.vendor == "postgresql" else 25


@pytest.mark.parametrize("quantity", [1, 4])
def test_the_fan_path_stays_within_its_query_budget(
        quantity, buyer, match, zone, api, django_assert_max_num_queries,
        django_capture_on_commit_callbacks):
    with django_assert_max_num_queries(ZONES):
        assert api.get(f"/api/matches/{match.id}/zones").status_code == 200
    with django_assert_max_num_queries(cart_budget()):
        cart = cart_of(buyer, match, zone, quantity)
    holders = [{}] + [adult(first_name=f"Friend{n}") for n in range(1, quantity)]
    with django_assert_max_num_queries(CHECKOUT):
        response = checkout(buyer, cart, holders)
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["order"]["id"])
    payment = Payment.objects.get(idempotency_key=order.payment_idempotency_key)

    # The completion runs when the payment's transaction commits, as in production.
    with django_assert_max_num_queries(WEBHOOK), \
            django_capture_on_commit_callbacks(execute=True):
        assert deliver(api, intent_event("payment_intent.succeeded", payment)).status_code == 200
    with django_assert_max_num_queries(ORDER):
        response = buyer.get(f"/api/orders/{order.id}")

    body = response.json()
    assert body["status"] == OrderStatus.COMPLETED
    assert len(body["tickets"]) == len(body["items"]) == quantity
    assert body["payment"]["status"] == "SUCCEEDED"
