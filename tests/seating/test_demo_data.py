"""The demo's matches (seating.demo): zone ids the README's walkthrough can rely on."""

import pytest

from seating import demo
from seating.models import PriceCategory
from tests.seating.factories import make_match
from tests.seating.layouts import build_sector

pytestmark = pytest.mark.django_db


def test_zones_are_created_dearest_first_on_every_run():
    match = make_match()
    for code in ("S1", "GOST", "Z1", "VIP"):
        build_sector(["XX"], match=match, code=code)

    demo._go_on_sale(match, prices={
        code: (demo.CATEGORY_NAMES[demo._price_key(code)], demo.HOME_PRICES[demo._price_key(code)])
        for code in ("S1", "GOST", "Z1", "VIP")})

    zones = PriceCategory.objects.filter(match=match).order_by("id")
    assert [(z.name, str(z.price)) for z in zones] == [
        ("VIP", "150.00"), ("Zapad / Istok", "45.00"), ("Gostujući navijači", "30.00"),
        ("Sjever / Jug", "25.00")]
