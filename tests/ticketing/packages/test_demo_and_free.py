"""The run command's demo packages can be bought with the demo code, and a cart that would cost
nothing is refused at checkout (only quotas give tickets away)."""

import pytest

from tests.assertions import assert_error
from tests.ticketing.packages.test_purchase import (
    add_package,
    buyer,
    holders_for,
    local_payments,
    make_package,
    package_checkout,
)
from ticketing.models import Order
from ticketing.packages import demo
from ticketing.packages.models import Package

pytestmark = pytest.mark.django_db
__all__ = ["buyer", "local_payments"]


def test_the_demo_family_package_is_bought_with_the_demo_code(buyer, match, zone):
    demo.seed_packages([match])
    demo.seed_packages([match])  # idempotent
    assert Package.objects.filter(match=match).count() == 2
    family = Package.objects.get(name="Family 2+2")
    scarf, parking = family.options.order_by("display_order")
    assert (scarf.label, scarf.is_required, parking.is_required) == ("Scarf size", True, False)
    assert buyer.get(f"/api/matches/{match.id}/packages").json()["packages"][0]["name"] == (
        "Family 2+2")

    cart_id = add_package(buyer, match, family).json()["id"]
    response = package_checkout(buyer, cart_id, holders_for(4, {scarf.pk: "Kids"}),
                                demo.DEMO_CODE.lower())

    assert response.status_code == 201, response.content
    order = response.json()["order"]
    assert (order["ticket_amount"], order["promo_code"]) == ("81.00", demo.DEMO_CODE)


def test_a_cart_that_costs_nothing_is_refused_at_checkout(buyer, match, zone):
    free = make_package(match, [zone], name="Free", price="0.00", seats=1)
    cart_id = add_package(buyer, match, free).json()["id"]

    body = assert_error(package_checkout(buyer, cart_id, holders_for(1)), 422, "order_free")

    assert "quotas" in body["detail"]
    assert not Order.objects.exists()
