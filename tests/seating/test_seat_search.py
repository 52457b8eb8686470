"""GET /api/admin/seats/search (E3-F4) and GET /api/admin/matches/{id}/seats (E3-F5)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from core.roles import Role
from seating.services.inventory import seats_transition
from tests.seating.inventory_fixtures import inventory_make, match_make, sector_make

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(60)


@pytest.fixture
def agent(api_as):
    """A Support Agent; `api` is signed in as them."""
    return api_as(Role.SUPPORT_AGENT)


@pytest.fixture
def two_matches(db):
    """The same sector in a June and a September match; in June A-1 is SOLD, A-2 RESERVED."""
    june = inventory_make(match_make(kick_off=datetime(2026, 6, 10, 20, 45, tzinfo=TZ)))
    september = inventory_make(match_make(june.match.venue,
                                          kick_off=datetime(2026, 9, 5, 18, 0, tzinfo=TZ)),
                               sector=june.sector)
    a1, a2 = (june.inventory.get(row_label="A", seat_number=n).id for n in (1, 2))
    seats_transition(inventory_ids=[a1], to_status="SOLD", reason="order 1")
    seats_transition(inventory_ids=[a2], to_status="RESERVED", reason="cart", hold_owner="c:1",
                     hold_until=timezone.now() + timedelta(minutes=20))
    return june, september


def search(api, **params):
    response = api.get("/api/admin/seats/search", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_it_finds_a_seat_by_number_in_every_match(api, agent, two_matches):
    body = search(api, seat_number=7, row="c", sector="N1")

    assert body["count"] == 2
    first = body["results"][0]
    assert (first["row_label"], first["seat_number"], first["sector_code"]) == ("C", 7, "N1")
    assert first["match"]["kick_off_time"].startswith("2026-09-05")  # newest match first
    assert (first["grid_row"], first["grid_col"]) == (2, 7)  # past the aisle column


def test_its_filters_combine(api, agent, two_matches):
    june, _ = two_matches

    assert search(api, match_id=june.match_id, status="SOLD")["count"] == 1
    both = search(api, status=["SOLD", "RESERVED"])
    assert sorted(s["status"] for s in both["results"]) == ["RESERVED", "SOLD"]
    assert search(api, date_from="2026-09-01", row="A")["count"] == 12
    assert search(api, date_from="2026-06-10", date_to="2026-06-10")["count"] == 72
    assert search(api, date_to="2026-06-09")["count"] == 0


def test_it_paginates_with_page_and_limit(api, agent, two_matches):
    body = search(api, sector="N1", limit=20, page=2)

    assert body["count"] == 144
    assert len(body["results"]) == 20
    assert body["next"] and body["previous"]


def test_an_unknown_status_is_a_400(api, agent, two_matches):
    response = api.get("/api/admin/seats/search", {"status": "GONE"})

    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_the_match_seat_list_has_coordinates_and_colours(api, agent, two_matches):
    june, _ = two_matches

    body = api.get(f"/api/admin/matches/{june.match_id}/seats", {"limit": 200}).json()

    assert body["count"] == 72
    seat = body["results"][0]
    assert {k: seat[k] for k in ("row_label", "seat_number", "grid_row", "grid_col", "status",
                                 "color", "version")} == {
        "row_label": "A", "seat_number": 1, "grid_row": 0, "grid_col": 0, "status": "SOLD",
        "color": "#d62828", "version": 2}


def test_the_match_seat_list_filters_by_sector_status_and_row(api, agent, two_matches):
    june, _ = two_matches
    other = inventory_make(june.match, sector=sector_make(june.match.venue, code="S1"))
    url = f"/api/admin/matches/{june.match_id}/seats"

    assert api.get(url).json()["count"] == 144
    assert api.get(url, {"sector": "S1"}).json()["count"] == 72
    assert api.get(url, {"sector": other.id, "row": ["A", "B"]}).json()["count"] == 24
    assert api.get(url, {"status": ["SOLD", "RESERVED"]}).json()["count"] == 2
    assert api.get(url, {"status": "AVAILABLE", "row": "A", "sector": "N1"}).json()["count"] \
        == 10


def test_the_match_seat_list_lists_in_one_query_per_page(api, agent, two_matches,
                                                         django_assert_max_num_queries):
    june, _ = two_matches
    with django_assert_max_num_queries(6):  # auth + roles + match + count + page
        api.get(f"/api/admin/matches/{june.match_id}/seats", {"limit": 72})


def test_an_expired_hold_reads_as_available(api, agent, two_matches):
    june, _ = two_matches
    june.inventory.filter(status="RESERVED").update(
        hold_expires_at=timezone.now() - timedelta(seconds=1))

    url = f"/api/admin/matches/{june.match_id}/seats"
    assert api.get(url, {"status": "RESERVED"}).json()["count"] == 0
    assert api.get(url, {"status": "AVAILABLE", "row": "A"}).json()["count"] == 11


def test_reads_are_for_match_managers_and_support_agents(api, make_user, two_matches):
    assert api.get("/api/admin/seats/search").status_code == 401
    api.force_authenticate(make_user(roles=[Role.QUOTA_MANAGER]))
    assert api.get("/api/admin/seats/search").status_code == 403
    api.force_authenticate(make_user(roles=[Role.MATCH_MANAGER]))
    assert api.get("/api/admin/seats/search").status_code == 200
