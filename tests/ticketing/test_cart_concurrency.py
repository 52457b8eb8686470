"""Carts under a rush, on PostgreSQL (SQLite serialises everything and would hide races)."""

from collections import Counter

import pytest
from django.conf import settings

from core.errors import DomainError
from seating.models import SeatInventory, SeatStatus
from tests.concurrency import run_together
from tests.ticketing.test_cart import on_sale_match, seated_zone
from ticketing.models import Cart, CartItem
from ticketing.services.cart import cart_add

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The server is shared (max_connections 100): at most this many threads hold a connection.
CONNECTIONS = 20


def rush(adds: list) -> Counter:
    """Run each (user, match, zone) add in its own thread, all released at once; count the
    outcomes by error code ("ok" for a success)."""

    def add(index: int) -> str:
        user, match, zone = adds[index]
        cart_add(user=user, match_id=match.id, zone_id=zone.id, quantity=1)
        return "ok"

    results = run_together(len(adds), add, max_connections=CONNECTIONS)
    return Counter(r.code if isinstance(r, DomainError) else r for r in results)


def test_200_fans_racing_for_10_seats_get_exactly_10_and_no_seat_twice(make_user):
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXX", "XXXXX"])
    fans = [make_user() for _ in range(200)]

    outcomes = rush([(fan, match, zone) for fan in fans])

    assert outcomes == {"ok": 10, "not_enough_seats": 190}
    held = SeatInventory.objects.filter(status=SeatStatus.RESERVED)
    assert held.count() == 10
    assert len({seat.hold_owner for seat in held}) == 10
    assert Cart.objects.count() == 10  # refused adds leave no empty carts
    seats = list(CartItem.objects.values_list("inventory_id", flat=True))
    assert len(seats) == len(set(seats)) == 10


def test_one_fan_adding_ten_times_at_once_holds_at_most_four(make_user):
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXX", "XXXXXXXX"])
    fan = make_user()

    outcomes = rush([(fan, match, zone)] * 10)

    limit = settings.MAX_TICKETS_PER_FAN_PER_MATCH
    assert outcomes == {"ok": limit, "ticket_limit_reached": 10 - limit}
    [cart] = Cart.objects.filter(user=fan)
    assert SeatInventory.objects.filter(hold_owner=f"cart:{cart.id}",
                                        status=SeatStatus.RESERVED).count() == limit
