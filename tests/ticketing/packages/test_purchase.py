"""Ticket packages bought by a fan: what the fan sees, a package in the cart (its seats priced at
their shares of the package price), checkout with the package's options, payment (tickets, the
stock counters, the sales row), a promo code on a package, release, sold out and inactive.

The helpers here (`make_package`, `add_package`, `package_checkout`) are shared by the other
package tests."""

from decimal import Decimal as D

import pytest

from seating.models import SeatInventory, SeatStatus
from tests.assertions import assert_error
from tests.ticketing import test_checkout as base
from tests.ticketing.promotions.conftest import make_promo
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import adult
from tests.ticketing.test_order_payment import pay
from ticketing.models import CartItem, CartPackage, Order, OrderItem, OrderStatus, Ticket
from ticketing.packages.models import OptionKind, OptionResponse, Package, PackagePurchase

pytestmark = pytest.mark.django_db

# The checkout tests' fixtures: local payments and a fan with a complete profile (match and
# zone come from tests/ticketing/conftest.py: 10 seats at 40.00, a HOME match, 6 % fee).
local_payments, buyer = base.local_payments, base.buyer


def make_package(match, zones, *, name="VIP", price="1200.00", seats=2, options=(),
                 **fields) -> Package:
    """A package of `zones` with `options` given as (kind, label, choices, is_required)."""
    package = Package.objects.create(match=match, name=name, price=D(price),
                                     seats_per_package=seats, **fields)
    package.zones.set(zones)
    for order, (kind, label, choices, required) in enumerate(options):
        package.options.create(kind=kind, label=label, choices=list(choices),
                               is_required=required, display_order=order)
    return package


def add_package(client, match, package, quantity=1):
    return client.post("/api/cart/add-package", {"match_id": match.id, "package_id": package.id,
                                                 "quantity": quantity}, format="json")


def holders_for(count, options=None) -> list[dict]:
    """The buyer first, then friends; each answering `options` (option id -> value)."""
    holders = [{}] + [adult(first_name=f"Friend{n}") for n in range(1, count)]
    if options is not None:
        holders = [holder | {"options": {str(k): v for k, v in options.items()}}
                   for holder in holders]
    return holders


def package_checkout(client, cart_id, holders, promo_code=""):
    return client.post("/api/checkout", {"cart_id": cart_id, "holders": holders,
                                         "promo_code": promo_code}, format="json")


@pytest.fixture
def package(match, zone):
    """Two seats for 1200.00 with a required T-shirt size and an optional parking question."""
    return make_package(match, [zone], options=[
        (OptionKind.MULTI_SELECT, "T-shirt size", ["S", "M", "L"], True),
        (OptionKind.BOOLEAN, "Parking needed?", [], False),
    ])


def answers(package) -> dict:
    size, parking = package.options.all()
    return {size.pk: "M", parking.pk: True}


# --- what fans see ---------------------------------------------------------------------------

def test_fans_see_only_active_packages_in_display_order_with_availability(fan, match, zone):
    second = make_package(match, [zone], name="Second", display_order=2, quantity_limit=5)
    first = make_package(match, [zone], name="First", display_order=1, options=[
        (OptionKind.TEXT, "Name on the shirt", [], False),
        (OptionKind.BOOLEAN, "Retired", [], False)])
    first.options.filter(label="Retired").update(is_active=False)
    make_package(match, [zone], name="Hidden", display_order=0, is_active=False)

    response = fan.get(f"/api/matches/{match.id}/packages")

    assert response.status_code == 200, response.content
    packages = response.json()["packages"]
    assert [p["name"] for p in packages] == ["First", "Second"]
    assert [o["label"] for o in packages[0]["options"]] == ["Name on the shirt"]
    assert (packages[0]["available"], packages[0]["sold_out"]) == (None, False)
    assert (packages[1]["id"], packages[1]["price"], packages[1]["quantity_limit"],
            packages[1]["available"], packages[1]["sold"]) == (second.id, "1200.00", 5, 5, 0)
    assert packages[1]["zones"] == [{"id": zone.id, "name": zone.name}]
    assert "held" not in packages[0] and "version" not in packages[0]


def test_a_match_that_is_not_on_sale_has_no_packages_for_fans(fan, db):
    from seating.models import MatchStatus
    from tests.seating.factories import make_match

    assert_error(fan.get(f"/api/matches/{make_match(status=MatchStatus.DRAFT).id}/packages"),
                 404, "match_not_found")


# --- the cart --------------------------------------------------------------------------------

def test_adding_a_package_holds_its_seats_priced_at_their_shares(buyer, match, zone, package):
    response = add_package(buyer, match, package, quantity=2)

    assert response.status_code == 201, response.content
    cart = response.json()
    [line] = cart["packages"]
    assert (line["package_id"], line["name"], line["quantity"], line["price"], line["total"]) == (
        package.id, "VIP", 2, "1200.00", "2400.00")
    assert len(cart["items"]) == 4
    assert {item["package_line_id"] for item in cart["items"]} == {line["id"]}
    assert sum(D(item["price"]) * item["quantity"] for item in cart["items"]) == D("2400.00")
    assert cart["total"] == "2400.00"
    package.refresh_from_db()
    assert (package.held_count, package.sold_count) == (2, 0)
    assert SeatInventory.objects.filter(status=SeatStatus.RESERVED).count() == 4


def test_a_price_that_does_not_divide_goes_to_the_first_seat(buyer, match, zone):
    package = make_package(match, [zone], price="100.00", seats=3)

    response = add_package(buyer, match, package)

    assert response.status_code == 201, response.content
    prices = [item["price"] for item in response.json()["items"]]
    assert sorted(prices, reverse=True) == ["33.34", "33.33", "33.33"]
    assert sum(D(p) for p in prices) == D("100.00")


def test_releasing_the_cart_gives_the_packages_back(buyer, match, zone, package):
    assert add_package(buyer, match, package).status_code == 201

    response = buyer.delete(f"/api/cart?match_id={match.id}")

    assert response.status_code == 204, response.content
    package.refresh_from_db()
    assert (package.held_count, package.sold_count) == (0, 0)
    assert not SeatInventory.objects.filter(status=SeatStatus.RESERVED).exists()


def test_a_sold_out_package_cannot_be_added(buyer, login, match, zone, package):
    Package.objects.filter(pk=package.pk).update(quantity_limit=1, sold_count=1)

    assert_error(add_package(buyer, match, package), 409, "package_sold_out")
    assert not CartPackage.objects.exists()


def test_the_last_package_in_someone_elses_cart_is_sold_out_for_others(
        buyer, login, match, zone, package):
    Package.objects.filter(pk=package.pk).update(quantity_limit=1)
    assert add_package(buyer, match, package).status_code == 201

    other = login("other@example.com")
    assert_error(add_package(other, match, package), 409, "package_sold_out")
    package.refresh_from_db()
    assert (package.held_count, package.sold_count) == (1, 0)


def test_an_inactive_package_is_not_found(buyer, match, zone, package):
    Package.objects.filter(pk=package.pk).update(is_active=False)

    assert_error(add_package(buyer, match, package), 404, "package_not_found")


def test_a_package_of_another_match_is_not_found(buyer, match, zone):
    other = on_sale_match()
    other_zone, _ = seated_zone(other)
    package = make_package(other, [other_zone])

    assert_error(add_package(buyer, match, package), 404, "package_not_found")


# --- checkout and payment --------------------------------------------------------------------
# Some tests call `checkout_submit` directly (its errors as raised); the API path is
# `test_the_api_passes_the_holders_answers_to_checkout` and the 422 test beside it.

def service_checkout(client, cart_id, holders, promo_code=""):
    """`checkout_submit` as the API calls it, the holders' options kept; the order's id."""
    from ticketing.services.checkout import checkout_submit

    return checkout_submit(user=client.user, cart_id=cart_id, holders=holders,
                           promo_code=promo_code).order


def test_a_required_option_missing_is_a_422_naming_it(buyer, match, zone, package):
    from core.errors import ValidationFailed

    cart_id = add_package(buyer, match, package).json()["id"]
    size, parking = package.options.all()
    holders = holders_for(2, {size.pk: "M"})
    holders[1]["options"] = {str(parking.pk): False}

    with pytest.raises(ValidationFailed) as raised:
        service_checkout(buyer, cart_id, holders)

    assert (raised.value.code, raised.value.status_code) == ("option_required", 422)
    assert f"holders[1].options.{size.pk}" in str(raised.value.fields)
    assert not Order.objects.exists()


def test_without_answers_the_api_says_which_required_option_is_missing(
        buyer, match, zone, package):
    cart_id = add_package(buyer, match, package).json()["id"]
    size, _ = package.options.all()

    body = assert_error(package_checkout(buyer, cart_id, holders_for(2)), 422, "option_required")
    assert f"holders[0].options.{size.pk}" in body["fields"]


def test_the_api_passes_the_holders_answers_to_checkout(buyer, match, zone, package):
    cart_id = add_package(buyer, match, package).json()["id"]

    response = package_checkout(buyer, cart_id, holders_for(2, answers(package)))

    assert response.status_code == 201, response.content
    assert [len(item["options"]) for item in response.json()["order"]["items"]] == [2, 2]


def test_an_answer_outside_the_choices_is_a_422(buyer, match, zone, package):
    from core.errors import ValidationFailed

    cart_id = add_package(buyer, match, package).json()["id"]
    size, _ = package.options.all()

    with pytest.raises(ValidationFailed) as raised:
        service_checkout(buyer, cart_id, holders_for(2, {size.pk: "XXL"}))

    assert raised.value.code == "option_invalid"
    assert f"holders[0].options.{size.pk}" in str(raised.value.fields)


def test_the_api_order_shows_each_package_ticket_with_its_package(buyer, match, zone):
    package = make_package(match, [zone], options=[
        (OptionKind.BOOLEAN, "Parking needed?", [], False)])
    cart_id = add_package(buyer, match, package).json()["id"]

    response = package_checkout(buyer, cart_id, holders_for(2))

    assert response.status_code == 201, response.content
    body = response.json()["order"]
    assert body["ticket_amount"] == "1200.00"
    assert [(item["package"], item["options"]) for item in body["items"]] == [
        ({"id": package.id, "name": "VIP"}, [])] * 2
    assert sorted(item["price"] for item in body["items"]) == ["600.00", "600.00"]


def test_a_paid_package_order_issues_a_ticket_per_seat_and_sells_the_stock(
        buyer, match, zone, package, django_capture_on_commit_callbacks):
    cart_id = add_package(buyer, match, package).json()["id"]
    size, parking = package.options.all()

    order = service_checkout(buyer, cart_id, holders_for(2, answers(package)))

    assert order.ticket_amount == D("1200.00")
    assert OptionResponse.objects.count() == 4
    package.refresh_from_db()
    assert (package.sold_count, package.held_count) == (0, 1)

    paid = pay(buyer, order, django_capture_on_commit_callbacks)

    assert paid.status_code == 200, paid.content
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    seats = list(Ticket.objects.filter(order=order).values_list("inventory_id", flat=True))
    assert len(seats) == len(set(seats)) == 2
    assert SeatInventory.objects.filter(id__in=seats, status=SeatStatus.SOLD).count() == 2
    package.refresh_from_db()
    assert (package.sold_count, package.held_count) == (1, 0)
    purchase = PackagePurchase.objects.get()
    assert (purchase.order_id, purchase.package_id, purchase.quantity) == (order.id, package.id, 1)
    assert (purchase.gross_amount, purchase.discount_amount, purchase.net_amount,
            purchase.fee_amount) == (D("1200.00"), D("0.00"), D("1200.00"), order.fee_amount)
    assert order.fee_amount == D("72.00")  # 6 % of 1200.00

    shown = buyer.get(f"/api/orders/{order.id}").json()
    assert shown["status"] == OrderStatus.COMPLETED
    assert len(shown["tickets"]) == 2
    for item in shown["items"]:
        assert item["package"] == {"id": package.id, "name": "VIP"}
        assert item["options"] == [
            {"option_id": size.pk, "label": "T-shirt size", "value": ["M"]},
            {"option_id": parking.pk, "label": "Parking needed?", "value": True}]


def test_a_percent_code_on_the_package_discounts_its_seats(buyer, match, zone, package):
    """Seed 004: two 1200.00 packages of two seats with 20 % off the package."""
    promo = make_promo(match, code="PKG20", value="20")
    promo.packages.set([package])
    cart_id = add_package(buyer, match, package, quantity=2).json()["id"]

    order = service_checkout(buyer, cart_id, holders_for(4, answers(package)), "pkg20")

    body = buyer.get(f"/api/orders/{order.id}").json()
    assert (body["promo_code"], body["promo_discount_amount"], body["ticket_amount"]) == (
        "PKG20", "480.00", "1920.00")
    assert [item["price"] for item in body["items"]] == ["480.00"] * 4
    purchase = PackagePurchase.objects.get()
    assert (purchase.quantity, purchase.gross_amount, purchase.discount_amount,
            purchase.net_amount) == (2, D("2400.00"), D("480.00"), D("1920.00"))
    assert purchase.fee_amount == Order.objects.get().fee_amount == D("115.20")


def test_a_code_for_a_zone_leaves_the_package_seats_alone(buyer, match, zone):
    package = make_package(match, [zone])
    promo = make_promo(match, code="ZONE20", value="20")
    promo.price_categories.set([zone])
    cart_id = add_package(buyer, match, package).json()["id"]

    response = package_checkout(buyer, cart_id, holders_for(2), "ZONE20")

    assert_error(response, 422, "promo_code_not_applicable")
    assert not Order.objects.exists()


def test_a_package_and_plain_tickets_in_one_cart(buyer, match, zone, package):
    from tests.ticketing.test_cart import add

    assert add_package(buyer, match, package).status_code == 201
    response = add(buyer, match, zone, 1)
    assert response.status_code == 201, response.content
    cart_id = response.json()["id"]
    size, _ = package.options.all()
    holders = holders_for(3, {size.pk: "L"})
    holders[2].pop("options")  # the plain ticket has no options

    order = service_checkout(buyer, cart_id, holders)

    items = buyer.get(f"/api/orders/{order.id}").json()["items"]
    assert sorted(item["package"] is not None for item in items) == [False, True, True]
    assert order.ticket_amount == D("1240.00")
    assert OrderItem.objects.filter(package__isnull=True).count() == 1
    assert CartItem.objects.filter(package_line__isnull=False).count() == 2
