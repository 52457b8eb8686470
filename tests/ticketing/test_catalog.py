"""GET /api/matches (E4-F1) and GET /api/matches/{id}/zones (E4-F2): public, no login."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from seating.models import (
    GeneralAdmissionHold,
    HoldStatus,
    MatchSectorStatus,
    MatchStatus,
    PhaseType,
    SalesPhase,
    SeatInventory,
    SeatStatus,
)
from seating.services.allocation import ga_available
from seating.services.inventory import inventory_build
from tests.seating.factories import make_match_sector, make_price_category
from tests.seating.inventory_fixtures import match_make, match_sector_make, sector_make

pytestmark = pytest.mark.django_db

ZAGREB = ZoneInfo("Europe/Zagreb")


def published(**fields):
    return match_make(**{"status": MatchStatus.PUBLISHED, **fields})


def phase(match, phase_type=PhaseType.GENERAL_PUBLIC, *, start=-1, end=5, **fields):
    """A sales phase from `start` to `end` days from now."""
    now = timezone.now()
    return SalesPhase.objects.create(
        match=match, phase_type=phase_type, name=fields.pop("name", phase_type.label),
        start_at=now + timedelta(days=start), end_at=now + timedelta(days=end), **fields)


def standing(match, *, code="ST", capacity=100, price="30.00", category=None, **fields):
    """A non-numbered sector in a price category (a new one unless given)."""
    category = category or make_price_category(match=match, name=f"Cat {code}",
                                                price=Decimal(price))
    return make_match_sector(match=match, code=code, total=capacity, price_category=category,
                             **fields)


def numbered(match, *, code="N1", rows="AB", seats_per_row=4, category=None):
    """A numbered sector of rows x seats with its inventory built, all AVAILABLE."""
    category = category or make_price_category(match=match, name=f"Cat {code}")
    sector = match_sector_make(match, sector_make(match.venue, code=code, rows=rows,
                                                  seats_per_row=seats_per_row),
                              price_category=category, is_numbered=True)
    inventory_build(match_sector=sector)
    return sector


def hold(sector, quantity, status=HoldStatus.SOLD, expires_in=None):
    expires_at = timezone.now() + timedelta(minutes=expires_in) if expires_in else None
    return GeneralAdmissionHold.objects.create(match_sector=sector, quantity=quantity,
                                               owner="cart:1", status=status,
                                               expires_at=expires_at)


def set_seats(sector, count, status, **fields):
    """Set `count` of the sector's still-AVAILABLE seats (test setup, not a business write)."""
    ids = list(sector.inventory.filter(status=SeatStatus.AVAILABLE).order_by("id")
               .values_list("id", flat=True)[:count])
    SeatInventory.objects.filter(id__in=ids).update(status=status, **fields)


def listed(api, **params):
    response = api.get("/api/matches", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def zones_of(api, match):
    response = api.get(f"/api/matches/{match.id}/zones")
    assert response.status_code == 200, response.content
    return {z["name"]: z for z in response.json()["zones"]}


# --- GET /api/matches -----------------------------------------------------------------------

def test_it_lists_upcoming_published_and_active_matches_soonest_first(api):
    later = published(kick_off=timezone.now() + timedelta(days=20))
    sooner = published(kick_off=timezone.now() + timedelta(days=3), status=MatchStatus.ACTIVE)
    published(status=MatchStatus.DRAFT)
    published(is_deleted=True, deleted_at=timezone.now())
    published(status=MatchStatus.CANCELLED)
    published(status=MatchStatus.CLOSED)
    published(kick_off=timezone.now() - timedelta(hours=1), status=MatchStatus.ACTIVE)

    assert [m["id"] for m in listed(api)] == [sooner.id, later.id]


def test_it_needs_no_login_and_ignores_a_bad_token(api):
    published()
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api.get("/api/matches")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_it_shows_the_match_teams_and_venue(api):
    match = published(competition="UEFA Nations League")

    [item] = listed(api)

    assert item["home_team"] == "Hrvatska"
    assert item["away_team"] == match.away_team
    assert item["competition"] == "UEFA Nations League"
    assert item["match_type"] == "HOME"
    assert item["is_numbered"] is True
    assert item["venue"] == {"id": match.venue_id, "name": match.venue.name, "city": "Zagreb"}
    assert item["kick_off_time"] == match.kick_off_time.astimezone(ZAGREB).isoformat()


def test_it_is_not_on_sale_without_a_fan_phase(api):
    match = published()
    standing(match)
    phase(match, PhaseType.QUOTA_ONLY)

    [item] = listed(api)

    assert (item["sale_status"], item["sale_phase"]) == ("NOT_ON_SALE", None)


def test_it_is_not_on_sale_before_the_first_phase_and_names_it(api):
    match = published()
    standing(match)
    phase(match, PhaseType.LOYALTY, start=2, end=4, name="Loyalty pre-sale")

    [item] = listed(api)

    assert item["sale_status"] == "NOT_ON_SALE"
    assert item["sale_phase"]["phase_type"] == "LOYALTY"
    assert item["sale_phase"]["name"] == "Loyalty pre-sale"


@pytest.mark.parametrize("phase_type", [PhaseType.LOYALTY, PhaseType.GENERAL_PUBLIC])
def test_it_is_on_sale_while_a_fan_phase_runs_and_places_remain(api, phase_type):
    match = published()
    hold(standing(match, capacity=100), 99)
    phase(match, phase_type)

    [item] = listed(api)

    assert item["sale_status"] == "ON_SALE"
    assert item["sale_phase"]["phase_type"] == phase_type


def test_a_switched_off_phase_does_not_put_the_match_on_sale(api):
    match = published()
    standing(match)
    phase(match, is_active=False)

    [item] = listed(api)

    assert item["sale_status"] == "NOT_ON_SALE"


def test_it_is_sold_out_when_no_place_is_left_in_any_sector(api):
    match = published()
    hold(standing(match, code="ST", capacity=50), 50)
    hold(standing(match, code="EA", capacity=20), 20, HoldStatus.HELD, expires_in=10)
    sector = numbered(match)
    set_seats(sector, 8, SeatStatus.SOLD)
    standing(match, code="CL", status=MatchSectorStatus.CLOSED)  # closed sectors don't count
    phase(match)

    [item] = listed(api)

    assert item["sale_status"] == "SOLD_OUT"
    assert item["sale_phase"]["phase_type"] == "GENERAL_PUBLIC"


def test_an_expired_hold_puts_a_sold_out_match_back_on_sale(api):
    match = published()
    sector = numbered(match)
    set_seats(sector, 7, SeatStatus.SOLD)
    set_seats(sector, 1, SeatStatus.RESERVED, hold_owner="cart:9",
              hold_expires_at=timezone.now() - timedelta(minutes=1))
    phase(match)

    [item] = listed(api)

    assert item["sale_status"] == "ON_SALE"


def test_it_has_ended_when_every_fan_phase_is_over(api):
    match = published()
    standing(match)
    phase(match, PhaseType.LOYALTY, start=-10, end=-6)
    phase(match, PhaseType.GENERAL_PUBLIC, start=-5, end=-1)

    [item] = listed(api)

    assert (item["sale_status"], item["sale_phase"]) == ("ENDED", None)


def test_it_previews_todays_prices_of_the_sellable_sectors(api):
    match = published(presale_discount_percent=Decimal("10"))
    standing(match, code="A", price="30.00")
    standing(match, code="B", price="60.00")
    standing(match, code="C", price="500.00", status=MatchSectorStatus.MAINTENANCE)
    make_price_category(match=match, name="Unused", price=Decimal("1.00"))

    [item] = listed(api)

    assert item["pricing"] == {"min_price": "27.00", "max_price": "54.00",
                               "full_min_price": "30.00", "full_max_price": "60.00",
                               "discount_percent": "10.00", "currency": "EUR"}


def test_a_match_without_priced_sectors_has_no_pricing(api):
    published()

    [item] = listed(api)

    assert item["pricing"] is None


def _fully_set_up_match():
    match = published(presale_discount_percent=Decimal("5"))
    standing(match, code="ST")
    numbered(match, code=f"N{match.id}")
    phase(match, PhaseType.LOYALTY, start=-3, end=-1)
    phase(match)
    return match


def test_the_list_costs_the_same_queries_for_one_match_or_five(api):
    _fully_set_up_match()
    with CaptureQueriesContext(connection) as one:
        assert len(listed(api)) == 1
    for _ in range(4):
        _fully_set_up_match()

    with CaptureQueriesContext(connection) as five:
        assert len(listed(api)) == 5

    assert len(five) == len(one) <= 4


# --- GET /api/matches/{id}/zones ------------------------------------------------------------

def test_a_numbered_zone_counts_available_seats_and_expired_holds(api):
    match = published()
    sector = numbered(match, code="N1")  # 8 seats
    past, future = timezone.now() - timedelta(minutes=1), timezone.now() + timedelta(minutes=10)
    set_seats(sector, 1, SeatStatus.SOLD)
    set_seats(sector, 1, SeatStatus.BLOCKED)
    set_seats(sector, 1, SeatStatus.RESERVED, hold_owner="cart:1", hold_expires_at=future)
    set_seats(sector, 1, SeatStatus.RESERVED, hold_owner="cart:2", hold_expires_at=past)
    set_seats(sector, 1, SeatStatus.RESERVED, hold_owner="quota:3", hold_expires_at=past,
              release_to=SeatStatus.ALLOCATED)

    zone = zones_of(api, match)["Cat N1"]

    # 3 never touched + the cart hold that ran out; the live hold and the quota's don't count
    assert zone["available"] == 4
    assert zone["sectors"] == [{"id": sector.id, "code": "N1", "name": sector.name,
                                "is_numbered": True, "available": 4}]


def test_a_standing_zone_takes_live_holds_off_its_capacity(api):
    match = published()
    sector = standing(match, code="ST", capacity=100)
    hold(sector, 10, HoldStatus.SOLD)
    hold(sector, 5, HoldStatus.ALLOCATED)
    hold(sector, 3, HoldStatus.HELD, expires_in=10)
    hold(sector, 2, HoldStatus.HELD)  # no expiry: held until released
    hold(sector, 7, HoldStatus.HELD, expires_in=-1)
    hold(sector, 20, HoldStatus.RELEASED)

    zone = zones_of(api, match)["Cat ST"]

    assert zone["available"] == 80 == ga_available(sector)
    assert zone["sectors"][0]["is_numbered"] is False


def test_a_zone_gathers_the_active_sectors_of_its_category(api):
    match = published()
    category = make_price_category(match=match, name="East", price=Decimal("40.00"),
                                   color="#aa0000")
    standing(match, code="E1", capacity=10, category=category)
    numbered(match, code="E2", category=category)
    standing(match, code="E3", capacity=50, category=category, status=MatchSectorStatus.CLOSED)
    standing(match, code="M1", price="99.00", status=MatchSectorStatus.MAINTENANCE)
    standing(match, code="W1", price="20.00")

    zones = api.get(f"/api/matches/{match.id}/zones").json()["zones"]

    assert [z["name"] for z in zones] == ["East", "Cat W1"]  # dearest first
    east = zones[0]
    assert (east["id"], east["color"], east["currency"]) == (category.id, "#aa0000", "EUR")
    assert [s["code"] for s in east["sectors"]] == ["E1", "E2"]
    assert east["available"] == 18


def test_max_quantity_is_the_per_fan_limit_or_what_is_left(api, settings):
    settings.MAX_TICKETS_PER_FAN_PER_MATCH = 4
    match = published()
    hold(standing(match, code="BIG", capacity=100), 10)
    hold(standing(match, code="FEW", capacity=10), 8)
    hold(standing(match, code="NONE", capacity=10), 10)

    zones = zones_of(api, match)

    assert zones["Cat BIG"]["max_quantity"] == 4
    assert zones["Cat FEW"]["max_quantity"] == 2
    assert (zones["Cat NONE"]["available"], zones["Cat NONE"]["max_quantity"]) == (0, 0)


KICK_OFF = datetime(2026, 6, 10, 20, 45, tzinfo=ZAGREB)


@pytest.fixture
def match_day_match(db):
    match = published(kick_off=KICK_OFF, presale_discount_percent=Decimal("15"))
    standing(match, code="ST", price="35.50")
    return match


def test_the_pre_sale_discount_applies_until_the_day_before(api, match_day_match):
    with time_machine.travel(datetime(2026, 6, 9, 23, 59, tzinfo=ZAGREB), tick=False):
        zone = zones_of(api, match_day_match)["Cat ST"]

    assert (zone["price"], zone["full_price"], zone["discount_percent"]) == (
        "30.18", "35.50", "15.00")


def test_match_day_is_full_price_from_midnight_in_zagreb(api, match_day_match):
    # 00:30 in Zagreb is still 9 June in UTC: the day is the local one
    with time_machine.travel(datetime(2026, 6, 10, 0, 30, tzinfo=ZAGREB), tick=False):
        zone = zones_of(api, match_day_match)["Cat ST"]
        [item] = listed(api)

    assert (zone["price"], zone["full_price"], zone["discount_percent"]) == (
        "35.50", "35.50", "0.00")
    assert item["pricing"]["min_price"] == "35.50"


def test_a_match_without_a_discount_sells_at_full_price(api):
    match = published()
    standing(match, code="ST", price="30.00")

    zone = zones_of(api, match)["Cat ST"]

    assert (zone["price"], zone["full_price"], zone["discount_percent"]) == (
        "30.00", "30.00", "0.00")


@pytest.mark.parametrize("fields", [
    {"status": MatchStatus.DRAFT},
    {"is_deleted": True},
    {"status": MatchStatus.CANCELLED},
], ids=["draft", "deleted", "cancelled"])
def test_zones_of_a_hidden_match_are_not_found(api, fields):
    match = published(**fields)
    standing(match)

    response = api.get(f"/api/matches/{match.id}/zones")

    assert response.status_code == 404
    assert response.json()["error"] == "match_not_found"


def test_zones_of_an_unknown_match_are_not_found(api):
    response = api.get("/api/matches/999999/zones")

    assert response.status_code == 404
    assert set(response.json()) == {"error", "detail", "fields"}


def test_zones_need_no_login(api):
    match = published(status=MatchStatus.ACTIVE)
    standing(match)

    assert api.get(f"/api/matches/{match.id}/zones").status_code == 200


def test_zones_cost_the_same_queries_for_one_sector_or_many(api):
    match = published()
    numbered(match, code="N1")
    with CaptureQueriesContext(connection) as one:
        zones_of(api, match)
    for n in range(2, 5):
        numbered(match, code=f"N{n}")
        standing(match, code=f"S{n}")
    cache.clear()  # the zones are shared for a moment (test_zones_cache.py): count a fresh read

    with CaptureQueriesContext(connection) as many:
        assert len(zones_of(api, match)) == 7

    assert len(many) == len(one) <= 2
