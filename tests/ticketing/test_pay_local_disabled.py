"""Production without the demo: with the local provider not enabled (PAYMENTS_LOCAL_ENABLED,
default on only with DEBUG), `pay-local` does not exist and nothing completes an order for
free, even when PAYMENTS_PROVIDER still says local."""

import pytest

from tests.ticketing import test_checkout as base
from tests.ticketing.test_order_payment import ordered
from ticketing.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

local_payments, buyer = base.local_payments, base.buyer  # match and zone: conftest.py


def test_pay_local_answers_404_unless_the_local_provider_is_enabled(buyer, match, zone,
                                                                    settings):
    order = ordered(buyer, match, zone, 1)
    settings.PAYMENTS_LOCAL_ENABLED = False

    assert buyer.post(f"/api/orders/{order.id}/pay-local").status_code == 404
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_pay_local_still_completes_where_the_demo_is_enabled(buyer, match, zone, settings,
                                                             django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 1)
    settings.PAYMENTS_LOCAL_ENABLED = True

    with django_capture_on_commit_callbacks(execute=True):
        response = buyer.post(f"/api/orders/{order.id}/pay-local")

    assert response.status_code == 200, response.content
    assert Order.objects.get().status == OrderStatus.COMPLETED
