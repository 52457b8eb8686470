"""The cart is rendered as plain dicts in the shape `CartOut` documents: after an add (from what
the add wrote, without reading it back) and on GET, seated and standing."""

from decimal import Decimal

import pytest

from tests.seating.factories import make_match_sector, make_price_category
from tests.ticketing.test_cart import add, seated_zone
from ticketing.api.carts import CartOut
from ticketing.services.cart import cart_view

pytestmark = pytest.mark.django_db


def as_documented(fan, match) -> dict:
    """The cart as `CartOut` renders it from the models, read afresh."""
    return dict(CartOut(cart_view(user=fan.user, match_id=match.id)).data)


def test_an_add_answers_the_cart_as_cart_out_documents_it(fan, match, zone):
    first = add(fan, match, zone, 2)
    second = add(fan, match, zone, 1)  # the earlier items are read, the new ones are not

    assert first.status_code == second.status_code == 201
    assert second.json() == as_documented(fan, match)
    assert len(second.json()["items"]) == 3
    assert fan.get(f"/api/cart?match_id={match.id}").json() == as_documented(fan, match)


def test_standing_places_render_without_row_or_seat(fan, match):
    category = make_price_category(match=match, name="South stand", price=Decimal("15.00"))
    make_match_sector(match=match, code="S", total=50, price_category=category)
    seated, _ = seated_zone(match, code="B1")

    add(fan, match, seated, 1)
    body = add(fan, match, category, 2).json()

    assert body == as_documented(fan, match)
    assert [(i["row"], i["seat"]) for i in body["items"]][1] == (None, None)
