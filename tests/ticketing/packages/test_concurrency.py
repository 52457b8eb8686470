"""Package stock under a rush, on PostgreSQL (US3): fans racing for the last packages never pass
`quantity_limit` (one conditional UPDATE takes the stock, the CHECK backs it) and no seat is
sold twice; two managers editing the same package at once: one wins, the other is told it
changed."""

from collections import Counter

import pytest

from core.errors import DomainError
from core.roles import Role
from seating.models import SeatInventory, SeatStatus
from tests.concurrency import run_together
from tests.ticketing.packages.test_purchase import make_package
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import buyer_profile, valid_oib
from ticketing.models import CartPackage, Order, OrderItem, OrderStatus, Ticket
from ticketing.packages.models import Package, PackagePurchase
from ticketing.services.cart import cart_add_package
from ticketing.services.checkout import checkout_submit, order_pay_local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FANS = 100
CONNECTIONS = 20  # the PostgreSQL server is shared (max_connections 100)


@pytest.fixture(autouse=True)
def local_payments(settings):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


def fans_with_profiles(make_user, count: int, first_oib: int) -> list:
    fans = [make_user() for _ in range(count)]
    for n, fan in enumerate(fans):
        buyer_profile(fan, oib=valid_oib(first_oib + n))
    return fans


def test_100_fans_racing_for_3_packages_buy_exactly_3_and_no_seat_twice(
        make_user, email_templates):
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 10)
    package = make_package(match, [zone], price="300.00", seats=2, quantity_limit=3)
    fans = fans_with_profiles(make_user, FANS, 40_000)

    def buy(index: int) -> str:
        fan = fans[index]
        cart = cart_add_package(user=fan, match_id=match.id, package_id=package.id).cart
        holders = [{}, {"first_name": "Friend", "last_name": "Horvat",
                        "date_of_birth": "1990-05-17", "nationality": "HR",
                        "oib": valid_oib(90_000 + index)}]
        order = checkout_submit(user=fan, cart_id=cart.id, holders=holders).order
        return order_pay_local(user=fan, order_id=order.id).status

    results = run_together(FANS, buy, max_connections=CONNECTIONS)

    outcomes = Counter(r.code if isinstance(r, DomainError) else r for r in results)
    assert outcomes[OrderStatus.COMPLETED] == 3, results
    refused = [r for r in results if r != OrderStatus.COMPLETED]
    assert all(isinstance(r, DomainError) and r.status_code == 409 for r in refused), outcomes
    assert outcomes["package_sold_out"] >= 1, outcomes
    package.refresh_from_db()
    assert (package.sold_count, package.held_count) == (3, 0)
    assert Order.objects.filter(status=OrderStatus.COMPLETED).count() == 3
    assert CartPackage.objects.count() == 3  # every refused add rolled back its line
    assert PackagePurchase.objects.count() == 3
    tickets = list(Ticket.objects.values_list("inventory_id", flat=True))
    assert len(tickets) == len(set(tickets)) == 6
    assert SeatInventory.objects.filter(match=match, status=SeatStatus.SOLD).count() == 6
    assert set(SeatInventory.objects.filter(status=SeatStatus.SOLD)
               .values_list("id", flat=True)) == set(tickets)
    assert OrderItem.objects.values("inventory_id").distinct().count() == 6
    assert not SeatInventory.objects.filter(match=match, status=SeatStatus.RESERVED).exists()


def test_two_fans_racing_for_the_last_package_one_gets_it(make_user, email_templates):
    """Seed 004: a limit of 10 with 9 sold, and two adds at the same moment."""
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 2)
    package = make_package(match, [zone], seats=2, quantity_limit=10)
    Package.objects.filter(pk=package.pk).update(sold_count=9)
    fans = fans_with_profiles(make_user, 2, 50_000)

    def add(index: int):
        return cart_add_package(user=fans[index], match_id=match.id, package_id=package.id)

    results = run_together(2, add)

    codes = sorted(r.code if isinstance(r, DomainError) else "ok" for r in results)
    assert codes == ["ok", "package_sold_out"], results
    [refused] = [r for r in results if isinstance(r, DomainError)]
    assert refused.status_code == 409
    package.refresh_from_db()
    assert (package.sold_count, package.held_count) == (9, 1)
    assert SeatInventory.objects.filter(match=match, status=SeatStatus.RESERVED).count() == 2


def test_two_managers_saving_the_same_version_one_wins(make_user, back_office):
    match = on_sale_match()
    zone, _ = seated_zone(match)
    package = make_package(match, [zone], name="Original")
    managers = [back_office(make_user(roles=[Role.MATCH_MANAGER])) for _ in range(2)]
    url = f"/api/admin/matches/{match.id}/packages/{package.id}"

    def save(index: int):
        return managers[index].patch(url, {"version": 1, "name": f"Manager {index}"},
                                     format="json")

    results = run_together(2, save)

    assert sorted(r.status_code for r in results) == [200, 409], results
    [lost] = [r for r in results if r.status_code == 409]
    assert lost.json()["error"] == "package_changed"
    [won] = [r for r in results if r.status_code == 200]
    package.refresh_from_db()
    assert (package.name, package.version) == (won.json()["name"], 2)
