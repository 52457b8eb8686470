"""Stadium templates and their sectors (E2-F3), away stadiums (E2-F5): /api/admin/stadiums."""

import pytest
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from seating.models import Match, MatchSector, Sector, SectorSeatMap, Stadium, StadiumType

pytestmark = pytest.mark.django_db

STADIUMS = "/api/admin/stadiums"
SEAT_MAP = {"dimensions": {"rows": 1, "cols": 2}, "seats": [{"row": 0, "col": 0}],
            "row_labels": ["A"], "numbering_direction": "LTR"}


@pytest.fixture
def maksimir():
    return Stadium.objects.create(name="Maksimir", city="Zagreb", base_capacity=35000)


def sector(stadium, code="I1", **fields):
    return Sector.objects.create(stadium=stadium, name=fields.pop("name", f"Istok {code}"),
                                 code=code, capacity=fields.pop("capacity", 100), **fields)


def used_by_a_match(sector_):
    match = Match.objects.create(home_team="Hrvatska", away_team="Italija",
                                 kick_off_time=timezone.now(), venue=sector_.stadium,
                                 match_type="HOME")
    return MatchSector.objects.create(match=match, sector=sector_, name=sector_.name,
                                      code=sector_.code, total_capacity=100,
                                      sellable_capacity=100)


# --- Access ---------------------------------------------------------------------------------

def test_it_needs_a_signed_in_user(api):
    response = api.get(STADIUMS)

    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize("roles", [[], [Role.SUPPORT_AGENT], [Role.QUOTA_MANAGER]])
def test_it_needs_the_match_manager_role(api, make_user, maksimir, roles):
    api.force_authenticate(make_user(roles=roles))

    assert api.get(STADIUMS).status_code == 403
    assert api.post(STADIUMS, {"name": "X", "city": "Y"}, format="json").status_code == 403
    assert api.get(f"{STADIUMS}/{maksimir.pk}/sectors").status_code == 403


def test_a_super_admin_passes_too(api, make_user):
    api.force_authenticate(make_user(roles=[Role.SUPER_ADMIN]))

    assert api.get(STADIUMS).status_code == 200


# --- Stadiums -------------------------------------------------------------------------------

def test_it_lists_stadiums_filtered_by_type_and_paginated(manager, maksimir):
    Stadium.objects.create(name="Wembley", city="London", country="GB",
                           stadium_type=StadiumType.AWAY)
    sector(maksimir, "I1")
    sector(maksimir, "I2")

    everything = manager.get(STADIUMS).json()
    home = manager.get(STADIUMS, {"type": "HOME"}).json()
    away = manager.get(STADIUMS, {"type": "away"}).json()

    assert everything["count"] == 2
    assert [s["name"] for s in home["results"]] == ["Maksimir"]
    assert home["results"][0]["sector_count"] == 2
    assert [s["name"] for s in away["results"]] == ["Wembley"]
    assert set(everything) >= {"count", "next", "previous", "results"}


def test_it_rejects_an_unknown_type_filter(manager):
    response = manager.get(STADIUMS, {"type": "NEUTRAL"})

    assert response.status_code == 400
    assert "type" in response.json()["fields"]


def test_it_lists_stadiums_in_a_fixed_number_of_queries(manager, maksimir,
                                                       django_assert_max_num_queries):
    for n in range(5):
        sector(Stadium.objects.create(name=f"Away {n}", city="X", stadium_type="AWAY"), "A")

    with django_assert_max_num_queries(6):
        assert manager.get(STADIUMS).json()["count"] == 6


def test_it_creates_an_away_stadium_with_all_its_fields(manager):
    response = manager.post(STADIUMS, {
        "name": "Stadio Olimpico", "city": "Roma", "country": "it",
        "address": "Viale dello Stadio Olimpico", "stadium_type": "AWAY", "is_numbered": False,
    }, format="json")

    assert response.status_code == 201
    body = response.json()
    stadium = Stadium.objects.get(pk=body["id"])
    assert (stadium.name, stadium.city, stadium.country, stadium.address) == (
        "Stadio Olimpico", "Roma", "IT", "Viale dello Stadio Olimpico")
    assert stadium.stadium_type == "AWAY"
    assert stadium.is_numbered is False
    assert body["stadium_type"] == "AWAY"
    event = AuditEvent.objects.get(action="stadium.created")
    assert event.object_id == str(stadium.pk)
    assert event.actor_id == manager.user.pk
    assert event.after["name"] == "Stadio Olimpico"


def test_it_rejects_a_stadium_without_a_name_or_with_a_bad_country(manager):
    response = manager.post(STADIUMS, {"city": "Roma", "country": "Italy"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name", "country"}
    assert not Stadium.objects.exists()


def test_it_shows_a_stadium_with_its_sectors(manager, maksimir):
    mapped = sector(maksimir, "Z1", name="Zapad Z1", display_order=1)
    SectorSeatMap.objects.create(sector=mapped, seat_map_json=SEAT_MAP, total_seats=1)
    sector(maksimir, "I1", display_order=2)

    response = manager.get(f"{STADIUMS}/{maksimir.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Maksimir"
    assert [(s["code"], s["has_seat_map"]) for s in body["sectors"]] == [
        ("Z1", True), ("I1", False)]


def test_an_unknown_stadium_is_404(manager):
    response = manager.get(f"{STADIUMS}/999999")

    assert response.status_code == 404
    assert response.json()["error"] == "stadium_not_found"


# --- Sectors --------------------------------------------------------------------------------

def test_it_creates_a_sector_in_a_stadium(manager, maksimir):
    response = manager.post(f"{STADIUMS}/{maksimir.pk}/sectors", {
        "name": "Istok I1", "code": "I1", "capacity": 1200, "sector_type": "standard",
    }, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "I1"
    assert body["capacity"] == 1200
    assert body["sector_type"] == "STANDARD"
    assert body["has_seat_map"] is False
    assert body["stadium_id"] == maksimir.pk
    assert AuditEvent.objects.filter(action="sector.created", object_id=str(body["id"])).exists()


def test_an_away_stadium_gets_sectors_with_a_capacity(manager):
    stadium = Stadium.objects.create(name="Wembley", city="London", country="GB",
                                     stadium_type="AWAY", is_numbered=False)

    response = manager.post(f"{STADIUMS}/{stadium.pk}/sectors",
                            {"name": "Away end", "code": "AWAY", "capacity": 3000},
                            format="json")

    assert response.status_code == 201
    assert stadium.sectors.get().capacity == 3000


def test_a_sector_code_is_unique_within_a_stadium(manager, maksimir):
    sector(maksimir, "I1")
    other = Stadium.objects.create(name="Poljud", city="Split")
    sector(other, "I2")

    taken = manager.post(f"{STADIUMS}/{maksimir.pk}/sectors",
                         {"name": "Again", "code": "I1", "capacity": 10}, format="json")
    elsewhere = manager.post(f"{STADIUMS}/{other.pk}/sectors",
                             {"name": "Istok", "code": "I1", "capacity": 10}, format="json")

    assert taken.status_code == 409
    assert taken.json()["error"] == "sector_code_taken"
    assert "code" in taken.json()["fields"]
    assert elsewhere.status_code == 201


def test_it_rejects_a_sector_without_a_capacity(manager, maksimir):
    response = manager.post(f"{STADIUMS}/{maksimir.pk}/sectors", {"name": "I", "code": "I"},
                            format="json")

    assert response.status_code == 400
    assert "capacity" in response.json()["fields"]


def test_it_lists_the_sectors_of_one_stadium(manager, maksimir):
    sector(maksimir, "I1")
    sector(maksimir, "I2")
    sector(Stadium.objects.create(name="Poljud", city="Split"), "S1")

    response = manager.get(f"{STADIUMS}/{maksimir.pk}/sectors")

    assert response.status_code == 200
    assert [s["code"] for s in response.json()] == ["I1", "I2"]


def test_it_shows_a_sector_with_its_seat_map_info(manager, maksimir):
    with_map = sector(maksimir, "I1")
    SectorSeatMap.objects.create(sector=with_map, seat_map_json=SEAT_MAP, total_seats=1)
    without = sector(maksimir, "I2")

    mapped = manager.get(f"{STADIUMS}/{maksimir.pk}/sectors/{with_map.pk}").json()
    bare = manager.get(f"{STADIUMS}/{maksimir.pk}/sectors/{without.pk}").json()

    assert mapped["has_seat_map"] is True
    assert mapped["seat_map"]["total_seats"] == 1
    assert mapped["seat_map"]["configuration_status"] == "DRAFT"
    assert bare["has_seat_map"] is False
    assert bare["seat_map"] is None


def test_a_sector_of_another_stadium_is_404(manager, maksimir):
    foreign = sector(Stadium.objects.create(name="Poljud", city="Split"), "S1")

    response = manager.get(f"{STADIUMS}/{maksimir.pk}/sectors/{foreign.pk}")

    assert response.status_code == 404
    assert response.json()["error"] == "sector_not_found"


def test_it_updates_a_sector_and_audits_before_and_after(manager, maksimir):
    target = sector(maksimir, "I1", capacity=100)

    response = manager.put(f"{STADIUMS}/{maksimir.pk}/sectors/{target.pk}",
                           {"name": "Istok 1", "capacity": 1500, "sector_type": "VIP"},
                           format="json")

    assert response.status_code == 200
    target.refresh_from_db()
    assert (target.name, target.code, target.capacity, target.sector_type) == (
        "Istok 1", "I1", 1500, "VIP")
    event = AuditEvent.objects.get(action="sector.updated")
    assert event.before["capacity"] == 100
    assert event.after["capacity"] == 1500


def test_renaming_a_sector_to_a_taken_code_is_409(manager, maksimir):
    sector(maksimir, "I1")
    target = sector(maksimir, "I2")

    response = manager.put(f"{STADIUMS}/{maksimir.pk}/sectors/{target.pk}", {"code": "I1"},
                           format="json")

    assert response.status_code == 409
    assert response.json()["error"] == "sector_code_taken"
    target.refresh_from_db()
    assert target.code == "I2"


def test_it_deletes_a_sector_without_a_seat_map(manager, maksimir):
    target = sector(maksimir, "I1")

    response = manager.delete(f"{STADIUMS}/{maksimir.pk}/sectors/{target.pk}")

    assert response.status_code == 204
    assert not Sector.objects.filter(pk=target.pk).exists()
    assert AuditEvent.objects.get(action="sector.deleted").before["code"] == "I1"


def test_it_refuses_to_delete_a_sector_with_a_seat_map(manager, maksimir):
    target = sector(maksimir, "I1")
    SectorSeatMap.objects.create(sector=target, seat_map_json=SEAT_MAP, total_seats=1)

    response = manager.delete(f"{STADIUMS}/{maksimir.pk}/sectors/{target.pk}")

    assert response.status_code == 409
    assert response.json()["error"] == "sector_has_seat_map"
    assert Sector.objects.filter(pk=target.pk).exists()


def test_it_refuses_to_delete_a_sector_a_match_uses(manager, maksimir):
    target = sector(maksimir, "I1")
    used_by_a_match(target)

    response = manager.delete(f"{STADIUMS}/{maksimir.pk}/sectors/{target.pk}")

    assert response.status_code == 409
    assert response.json()["error"] == "sector_in_use"
    assert Sector.objects.filter(pk=target.pk).exists()
