"""The whole purchase under a rush, on PostgreSQL: 200 fans race through cart → checkout → payment
(the local provider's signed webhook, as in the demo) for the last 10 seats of a match."""

from collections import Counter

import pytest

from core.errors import DomainError
from seating.models import SeatInventory, SeatStatus
from seating.services.inventory import seats_transition
from tests.concurrency import run_together
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import buyer_profile, valid_oib
from ticketing.models import Order, OrderItem, OrderStatus, Ticket
from ticketing.services.cart import cart_add
from ticketing.services.checkout import checkout_submit, order_pay_local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FANS = 200
SEATS_LEFT = 10
# The PostgreSQL server is shared (max_connections 100) and other suites run beside this one:
# 200 fans, at most this many holding a connection at once.
CONNECTIONS = 20


@pytest.fixture(autouse=True)
def local_payments(settings):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


def test_200_fans_buying_the_last_10_seats_buy_exactly_10_and_no_seat_twice(
        make_user, email_templates):
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 3)
    seats = list(SeatInventory.objects.filter(match=match).order_by("id")
                 .values_list("id", flat=True))
    sold_before = seats_transition(inventory_ids=seats[SEATS_LEFT:], to_status=SeatStatus.SOLD,
                                   reason="sold earlier")
    assert len(sold_before.changed) == len(seats) - SEATS_LEFT
    fans = [make_user() for _ in range(FANS)]
    for n, fan in enumerate(fans):
        buyer_profile(fan, oib=valid_oib(10_000 + n))

    def buy(index: int) -> str:
        fan = fans[index]
        cart = cart_add(user=fan, match_id=match.id, zone_id=zone.id, quantity=1).cart
        order = checkout_submit(user=fan, cart_id=cart.id, holders=[{}]).order
        return order_pay_local(user=fan, order_id=order.id).status

    results = run_together(FANS, buy, max_connections=CONNECTIONS)

    outcomes = Counter(r.code if isinstance(r, DomainError) else r for r in results)
    assert outcomes == {OrderStatus.COMPLETED: SEATS_LEFT,
                        "not_enough_seats": FANS - SEATS_LEFT}, results
    assert Order.objects.filter(status=OrderStatus.COMPLETED).count() == SEATS_LEFT
    tickets = list(Ticket.objects.values_list("inventory_id", flat=True))
    assert len(tickets) == len(set(tickets)) == SEATS_LEFT
    assert set(tickets) == set(seats[:SEATS_LEFT])
    sold_to_orders = SeatInventory.objects.filter(status=SeatStatus.SOLD, id__in=seats[:SEATS_LEFT])
    assert sold_to_orders.count() == SEATS_LEFT
    assert OrderItem.objects.values("inventory_id").distinct().count() == SEATS_LEFT
    assert not SeatInventory.objects.filter(match=match).exclude(status=SeatStatus.SOLD).exists()
