"""The per-process cache of the match facts add-to-cart reads (ticketing.services.sale_context):
served from memory while fresh, dropped at once by a change saved in this process, and never
able to sell what the allocator refuses."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from seating.models import MatchSectorStatus, MatchStatus
from tests.ticketing.test_cart import add, seated_zone
from ticketing.services.sale_context import (
    sale_context_clear,
    sale_match,
    sale_phases,
    sale_zone_sectors,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cached(settings):
    settings.SALE_CONTEXT_SECONDS = 2
    sale_context_clear()
    yield
    sale_context_clear()



def read_all(match, zone):
    sale_phases(match=sale_match(match_id=match.id))
    return sale_zone_sectors(match_id=match.id, zone_id=zone.id)


def test_a_fresh_context_is_served_without_a_query(match):
    zone, _ = seated_zone(match)
    read_all(match, zone)
    with CaptureQueriesContext(connection) as queries:
        sectors = read_all(match, zone)
    assert len(queries) == 0
    assert [s.price_category_id for s in sectors] == [zone.id]


def test_it_is_read_again_once_it_is_older_than_the_setting(match, settings):
    zone, _ = seated_zone(match)
    settings.SALE_CONTEXT_SECONDS = 0.01
    read_all(match, zone)
    time.sleep(0.02)  # the cache keeps time with time.monotonic, which time-machine leaves alone
    with CaptureQueriesContext(connection) as queries:
        read_all(match, zone)
    assert len(queries) == 3


def test_a_change_saved_in_this_process_is_seen_at_once(match):
    assert sale_match(match_id=match.id).status == MatchStatus.PUBLISHED
    match.status = MatchStatus.ACTIVE
    match.save(update_fields=["status"])
    assert sale_match(match_id=match.id).status == MatchStatus.ACTIVE


def test_a_sector_taken_off_sale_behind_the_cache_still_sells_nothing(fan, match):
    """A bulk update sends no signal, so the cache still lists the sector: the allocator, which
    checks the sector's status under its lock, refuses."""
    zone, sector = seated_zone(match)
    read_all(match, zone)
    type(sector).objects.filter(pk=sector.pk).update(status=MatchSectorStatus.CLOSED)

    response = add(fan, match, zone)

    assert response.status_code == 409, response.content
    assert response.json()["error"] == "not_enough_seats"


def test_a_phase_that_ends_while_cached_stops_selling_on_time(fan, match):
    zone, _ = seated_zone(match)
    match.sales_phases.update(end_at=timezone.now() + timedelta(minutes=1))
    assert add(fan, match, zone).status_code == 201  # the phases are cached from here on

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        response = add(fan, match, zone)

    assert response.status_code == 409, response.content
    assert response.json()["error"] == "not_on_sale"
