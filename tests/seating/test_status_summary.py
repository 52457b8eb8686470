"""GET /api/admin/matches/{id}/sectors/status-summary (E3-F5)."""

import pytest

from core.roles import Role
from seating import selectors
from seating.models import STATUS_COLORS, SeatStatus
from seating.services import seat_admin
from seating.services.inventory import seats_transition
from tests.seating.inventory_fixtures import inventory_make, sector_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def match_sectors(db):
    north = inventory_make()
    south = inventory_make(north.match, sector=sector_make(north.match.venue, code="S1"))
    ids = list(south.inventory.order_by("id").values_list("id", flat=True))
    seats_transition(inventory_ids=ids[:40], to_status="SOLD", reason="orders")
    seats_transition(inventory_ids=ids[40:45], to_status="BLOCKED", reason="camera")
    return north, south


@pytest.fixture
def manager(api_as):
    """A Match Manager; `api` is signed in as them."""
    return api_as(Role.MATCH_MANAGER)


def test_it_counts_every_status_per_sector(api, manager, match_sectors):
    north, _ = match_sectors

    body = api.get(f"/api/admin/matches/{north.match_id}/sectors/status-summary").json()

    assert body["colors"] == STATUS_COLORS
    by_code = {s["code"]: s for s in body["sectors"]}
    assert set(by_code["N1"]["status_counts"]) == set(SeatStatus.values)
    assert by_code["N1"]["status_counts"]["AVAILABLE"] == 72
    assert by_code["N1"]["total_capacity"] == 72
    assert by_code["N1"]["dominant_status"] == "AVAILABLE"
    south_counts = by_code["S1"]["status_counts"]
    assert (south_counts["SOLD"], south_counts["BLOCKED"], south_counts["AVAILABLE"]) == (
        40, 5, 27)
    assert by_code["S1"]["dominant_status"] == "SOLD"
    assert by_code["S1"]["dominant_color"] == STATUS_COLORS["SOLD"]


def test_it_is_computed_in_one_query_and_then_cached(match_sectors,
                                                     django_assert_num_queries):
    match_id = match_sectors[0].match_id

    with django_assert_num_queries(1):
        first = selectors.status_summary(match_id=match_id)
    with django_assert_num_queries(0):
        assert selectors.status_summary(match_id=match_id) == first


def test_a_status_change_drops_the_cached_summary(api, manager, match_sectors,
                                                  django_capture_on_commit_callbacks):
    north, _ = match_sectors
    url = f"/api/admin/matches/{north.match_id}/sectors/status-summary"
    assert api.get(url).json()["sectors"][0]["status_counts"]["BLOCKED"] == 0

    seat = north.inventory.first()
    seat_admin.seat_status_set(inventory_id=seat.id, to_status="BLOCKED", reason="x",
                               actor=manager)
    assert api.get(url).json()["sectors"][0]["status_counts"]["BLOCKED"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/admin/seats/bulk-status", {"match_id": north.match_id, "sector": "N1",
                                                  "from_row": "F", "status": "MAINTENANCE",
                                                  "reason": "repairs"}, format="json")
    assert api.get(url).json()["sectors"][0]["status_counts"]["MAINTENANCE"] == 12


def test_an_unknown_match_is_404(api, manager, db):
    assert api.get("/api/admin/matches/999999/sectors/status-summary").status_code == 404
