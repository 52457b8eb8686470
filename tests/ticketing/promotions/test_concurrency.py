"""The last uses of a promo code under a rush, on PostgreSQL (US7): 100 fans check out at
once with a code that has 5 uses left; exactly 5 orders get the discount, the counter stops at
max_uses, and everyone else is told the code is used up."""

from collections import Counter
from decimal import Decimal

import pytest

from core.errors import DomainError
from tests.concurrency import run_together
from tests.ticketing.promotions.conftest import make_promo
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import buyer_profile, valid_oib
from ticketing.models import Order
from ticketing.promotions.models import PromoCode, PromoCodeApplication
from ticketing.services.cart import cart_add
from ticketing.services.checkout import checkout_submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FANS = 100
CONNECTIONS = 20  # the PostgreSQL server is shared (max_connections 100)


def test_100_fans_racing_for_the_last_5_uses_get_exactly_5_discounts(make_user, email_templates):
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 10)
    promo = make_promo(match, code="LAST5", value="50", max_uses=10, uses_count=5)
    fans = [make_user() for _ in range(FANS)]
    carts = []
    for n, fan in enumerate(fans):
        buyer_profile(fan, oib=valid_oib(20_000 + n))
        carts.append(cart_add(user=fan, match_id=match.id, zone_id=zone.id, quantity=1).cart)

    def buy(index: int) -> str:
        order = checkout_submit(user=fans[index], cart_id=carts[index].id, holders=[{}],
                                promo_code="last5").order
        return str(order.ticket_amount)

    results = run_together(FANS, buy, max_connections=CONNECTIONS)

    outcomes = Counter(r.code if isinstance(r, DomainError) else r for r in results)
    assert outcomes == {"20.00": 5, "promo_code_used_up": FANS - 5}, results
    promo.refresh_from_db()
    assert promo.uses_count == promo.max_uses == 10
    assert PromoCodeApplication.objects.count() == 5
    assert set(Order.objects.values_list("ticket_amount", flat=True)) == {Decimal("20.00")}


def test_one_buyer_racing_two_checkouts_cannot_pass_the_per_buyer_limit(
        make_user, email_templates):
    """A platform-wide code, once per buyer, and the buyer's carts for two matches checked
    out at the same moment: the promo row's lock makes the second count see the first."""
    make_promo(None, code="ONCEEACH", value="10", max_uses_per_buyer=1)
    fan = make_user()
    buyer_profile(fan, oib=valid_oib(30_000))
    carts = []
    for _ in range(2):
        match = on_sale_match()
        zone, _ = seated_zone(match, ["XXXXX"])
        carts.append(cart_add(user=fan, match_id=match.id, zone_id=zone.id, quantity=1).cart)

    def buy(index: int):
        return checkout_submit(user=fan, cart_id=carts[index].id, holders=[{}],
                               promo_code="ONCEEACH").order

    results = run_together(2, buy)

    codes = sorted(r.code if isinstance(r, DomainError) else "ok" for r in results)
    assert codes == ["ok", "promo_code_buyer_limit"], results
    assert PromoCode.objects.get().uses_count == 1
