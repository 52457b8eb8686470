"""GET /api/matches/{id}/zones is shared by all fans for ZONES_CACHE_SECONDS: what it shows may
be that old (adding to a cart is what decides), never older, and never at yesterday's price."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from seating.models import MatchStatus, SeatStatus
from tests.ticketing.test_catalog import (
    KICK_OFF,
    ZAGREB,
    numbered,
    published,
    set_seats,
    standing,
    zones_of,
)

pytestmark = pytest.mark.django_db

# The start of a cache window whatever its length (a multiple of every length used here).
WINDOW_START = datetime(2026, 6, 1, 12, 0, tzinfo=ZAGREB)


@pytest.fixture
def on_sale(settings):
    settings.ZONES_CACHE_SECONDS = 2
    match = published()
    numbered(match, code="N1")  # 8 seats
    return match


def test_a_sale_shows_up_once_the_window_ends(api, on_sale):
    with time_machine.travel(WINDOW_START, tick=False) as clock:
        assert zones_of(api, on_sale)["Cat N1"]["available"] == 8
        set_seats(on_sale.sectors.get(), 3, SeatStatus.SOLD)

        clock.shift(timedelta(seconds=1.9))
        assert zones_of(api, on_sale)["Cat N1"]["available"] == 8

        clock.shift(timedelta(seconds=0.1))
        assert zones_of(api, on_sale)["Cat N1"]["available"] == 5


def test_a_shared_read_costs_no_query(api, on_sale, django_assert_num_queries):
    with time_machine.travel(WINDOW_START, tick=False):
        first = zones_of(api, on_sale)
        with django_assert_num_queries(0):
            assert zones_of(api, on_sale) == first


def test_zero_seconds_shares_nothing(api, on_sale, settings):
    settings.ZONES_CACHE_SECONDS = 0
    zones_of(api, on_sale)
    set_seats(on_sale.sectors.get(), 3, SeatStatus.SOLD)

    assert zones_of(api, on_sale)["Cat N1"]["available"] == 5


def test_the_match_day_price_applies_from_midnight_whatever_the_window(api, settings):
    settings.ZONES_CACHE_SECONDS = 10**9  # one window spanning both reads
    match = published(kick_off=KICK_OFF, presale_discount_percent=Decimal("15"))
    standing(match, code="ST", price="35.50")

    with time_machine.travel(datetime(2026, 6, 9, 23, 59, 59, tzinfo=ZAGREB), tick=False) as clock:
        assert zones_of(api, match)["Cat ST"]["price"] == "30.18"
        clock.shift(timedelta(seconds=1))
        zone = zones_of(api, match)["Cat ST"]

    assert (zone["price"], zone["discount_percent"]) == ("35.50", "0.00")


def test_a_match_not_found_is_not_remembered(api, settings):
    settings.ZONES_CACHE_SECONDS = 60
    match = published(status=MatchStatus.DRAFT)
    standing(match)

    with time_machine.travel(timezone.now(), tick=False):
        assert api.get(f"/api/matches/{match.id}/zones").status_code == 404
        match.status = MatchStatus.PUBLISHED
        match.save(update_fields=["status"])  # test setup, not a business write

        assert api.get(f"/api/matches/{match.id}/zones").status_code == 200
