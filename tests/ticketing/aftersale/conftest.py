"""Paid orders to refund, cancel and transfer, bought the way a fan buys them (cart, checkout,
the local payment), and the people who act on them."""

import pytest

from core.roles import Role
from payments.models import Payment
from tests.payments.conftest import stripe_server  # noqa: F401 (fixture)
from tests.ticketing.test_checkout import buyer, buyer_profile, local_payments  # noqa: F401
from tests.ticketing.test_order_payment import ordered, pay
from ticketing.models import Order, OrderStatus


@pytest.fixture
def paid(buyer, match, zone, settings, django_capture_on_commit_callbacks):  # noqa: F811
    """paid(quantity=2) -> a COMPLETED order of the buyer's, 40.00 a seat plus the fee, paid
    with the local provider (whichever a test configured for refunds)."""

    def make(quantity: int = 2, client=None) -> Order:
        client = client or buyer
        configured, settings.PAYMENTS_PROVIDER = settings.PAYMENTS_PROVIDER, "local"
        order = ordered(client, match, zone, quantity)
        pay(client, order, django_capture_on_commit_callbacks)
        settings.PAYMENTS_PROVIDER = configured
        order.refresh_from_db()
        assert order.status == OrderStatus.COMPLETED
        return order

    return make


def paid_at_stripe(order: Order) -> Payment:
    """Test setup: the order's payment as if Stripe had taken it, so its refunds go to the
    local Stripe server."""
    payment = order.payment
    Payment.objects.filter(pk=payment.pk).update(provider="stripe",
                                                 provider_payment_id=f"pi_paid_{order.pk}")
    payment.refresh_from_db()
    return payment


@pytest.fixture
def supervisor(make_user, back_office):
    return back_office(make_user("supervisor@example.com", roles=[Role.SUPERVISOR]))


@pytest.fixture
def other_fan(login):
    return login("someone.else@example.com")
