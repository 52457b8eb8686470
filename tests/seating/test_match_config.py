"""A match's stadium configuration (E2-F4): copying a template, importing an earlier match,
an inline away stadium, validate/lock/unlock, price categories and match sectors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from seating.models import (
    ConfigStatus,
    MatchSector,
    SalesPhase,
    SeatInventory,
    SeatStatus,
    Stadium,
)
from tests.seating.factories import (
    make_match,
    make_match_sector,
    make_price_category,
    make_seated_sector,
    make_stadium,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stadium():
    """Two capacity-only sectors (N 500, S 400) and one seated sector A (50 seats, 2 technical)."""
    stadium = make_stadium()
    make_seated_sector(stadium=stadium, code="A", technical=(("A", 1), ("A", 2)))
    return stadium


@pytest.fixture
def match():
    return make_match()


def url(match, rest=""):
    return f"/api/admin/matches/{match.pk}/{rest}"


def sell_one_seat(match_sector):
    seat = match_sector.inventory.filter(status=SeatStatus.AVAILABLE).first()
    SeatInventory.objects.filter(pk=seat.pk).update(status=SeatStatus.SOLD)


# --- Copying a template ---------------------------------------------------------------------

def test_other_roles_are_refused(api, make_user, match):
    api.force_authenticate(make_user(roles=[Role.QUOTA_MANAGER]))

    assert api.get(url(match, "stadium")).status_code == 403


def test_it_copies_a_stadium_template(manager, match, stadium):
    response = manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk},
                            format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["venue"]["id"] == stadium.pk
    sectors = {s["code"]: s for s in body["sectors"]}
    assert sectors.keys() == {"N", "S", "A"}
    assert (sectors["N"]["total_capacity"], sectors["N"]["is_numbered"]) == (500, False)
    seated = sectors["A"]
    assert (seated["total_capacity"], seated["technical_seats"], seated["sellable_capacity"],
            seated["is_numbered"], seated["has_seat_map"]) == (50, 2, 48, True, True)
    assert body["total_capacity"] == 950
    statuses = list(SeatInventory.objects.filter(match=match).values_list("status", flat=True))
    assert (len(statuses), statuses.count(SeatStatus.TECHNICAL)) == (50, 2)
    assert AuditEvent.objects.filter(object_type="seating.match", object_id=str(match.pk),
                                     action="match.stadium_configured").exists()


def test_a_non_numbered_match_sells_seated_sectors_by_capacity(manager, stadium):
    match = make_match(is_numbered=False)

    manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json")

    assert not MatchSector.objects.filter(match=match, is_numbered=True).exists()
    assert not SeatInventory.objects.filter(match=match).exists()


def test_it_needs_exactly_one_source(manager, match, stadium):
    both = {"stadium_template_id": stadium.pk, "import_from_match_id": match.pk}

    assert manager.post(url(match, "stadium"), both, format="json").status_code == 400
    assert manager.post(url(match, "stadium"), {}, format="json").status_code == 400


def test_copying_again_replaces_the_sectors(manager, match, stadium):
    manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json")
    other = make_stadium(name="Poljud", sectors=(("East", "E", 300),))

    response = manager.post(url(match, "stadium"), {"stadium_template_id": other.pk},
                            format="json")

    assert [s["code"] for s in response.json()["sectors"]] == ["E"]
    assert not SeatInventory.objects.filter(match=match).exists()


def test_it_refuses_to_replace_a_configuration_with_sold_seats(manager, match, stadium):
    manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json")
    sell_one_seat(match.sectors.get(code="A"))

    response = manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk},
                            format="json")

    assert response.status_code == 409
    assert response.json()["error"] == "tickets_sold"


def test_an_unknown_template_is_not_found(manager, match):
    response = manager.post(url(match, "stadium"), {"stadium_template_id": 999999},
                            format="json")

    assert response.status_code == 404


# --- Importing an earlier match, creating an away stadium -----------------------------------

def test_it_imports_an_earlier_matchs_configuration(manager, match, stadium):
    earlier = make_match()
    manager.post(url(earlier, "stadium"), {"stadium_template_id": stadium.pk}, format="json")
    vip = make_price_category(match=earlier, name="VIP", price="120.00")
    MatchSector.objects.filter(match=earlier, code="A").update(price_category=vip,
                                                               purpose="VIP")
    MatchSector.objects.filter(match=earlier, code="S").update(status="CLOSED")

    response = manager.post(url(match, "stadium"), {"import_from_match_id": earlier.pk},
                            format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    sectors = {s["code"]: s for s in body["sectors"]}
    assert (sectors["A"]["purpose"], sectors["A"]["price_category_name"]) == ("VIP", "VIP")
    assert sectors["S"]["status"] == "CLOSED"
    new_vip = match.price_categories.get()
    assert (new_vip.name, str(new_vip.price)) == ("VIP", "120.00") and new_vip != vip
    assert SeatInventory.objects.filter(match=match).count() == 50


def test_it_cannot_import_a_match_without_sectors(manager, match):
    response = manager.post(url(match, "stadium"), {"import_from_match_id": make_match().pk},
                            format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "nothing_to_import"


def test_it_creates_an_away_stadium_inline(manager):
    match = make_match(match_type="AWAY")
    new = {"name": "Stade de France", "city": "Saint-Denis", "country": "FR",
           "sectors": [{"name": "Visitors", "code": "V1", "capacity": 1200},
                       {"name": "Visitors 2", "code": "V2", "capacity": 800}]}

    response = manager.post(url(match, "stadium"), {"create_new": new}, format="json")

    assert response.status_code == 201, response.json()
    stadium = Stadium.objects.get(name="Stade de France")
    assert (stadium.stadium_type, stadium.base_capacity) == ("AWAY", 2000)
    match.refresh_from_db()
    assert match.venue == stadium
    assert [(s["code"], s["sellable_capacity"], s["is_numbered"])
            for s in response.json()["sectors"]] == [("V1", 1200, False), ("V2", 800, False)]


def test_an_inline_stadium_needs_unique_sector_codes(manager, match):
    new = {"name": "X", "city": "Y", "sectors": [{"name": "a", "code": "V", "capacity": 1},
                                                 {"name": "b", "code": "V", "capacity": 1}]}

    response = manager.post(url(match, "stadium"), {"create_new": new}, format="json")

    assert response.status_code == 400
    assert not Stadium.objects.exists()


# --- Validate, lock, unlock -----------------------------------------------------------------

def test_validation_lists_every_problem(manager, match):
    make_match_sector(match=match, code="N")
    make_match_sector(match=match, code="S", total=10, technical=12, sellable=11,
                      price_category=make_price_category(match=match))

    body = manager.post(url(match, "stadium/validate")).json()

    assert body["valid"] is False
    assert {e["code"] for e in body["errors"]} == {"missing_price", "sellable_exceeds_total",
                                                   "technical_exceeds_total"}
    match.refresh_from_db()
    assert match.stadium_config_status == ConfigStatus.DRAFT


def test_a_match_without_sectors_is_invalid(manager, match):
    body = manager.post(url(match, "stadium/validate")).json()

    assert [e["code"] for e in body["errors"]] == ["no_sectors"]


def test_a_closed_sector_needs_no_price(manager, match):
    make_match_sector(match=match, code="N", status="CLOSED")
    make_match_sector(match=match, code="S", price_category=make_price_category(match=match))

    assert manager.post(url(match, "stadium/validate")).json()["valid"] is True


def test_a_valid_configuration_is_locked(manager, match):
    make_match_sector(match=match, price_category=make_price_category(match=match))

    body = manager.post(url(match, "stadium/validate")).json()

    assert (body["valid"], body["stadium_config_status"]) == (True, "LOCKED")
    actions = list(AuditEvent.objects.filter(object_type="seating.match",
                                             object_id=str(match.pk))
                   .order_by("id").values_list("action", "after"))
    assert actions == [
        ("match.stadium_validated", {"stadium_config_status": "VALIDATED"}),
        ("match.stadium_locked", {"stadium_config_status": "LOCKED"}),
    ]


def test_a_locked_configuration_refuses_changes(manager, match, stadium):
    category = make_price_category(match=match)
    sector = make_match_sector(match=match, price_category=category)
    match.stadium_config_status = ConfigStatus.LOCKED
    match.save()

    responses = [
        manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json"),
        manager.post(url(match, "price-categories"), {"name": "B", "price": "1"}, format="json"),
        manager.delete(url(match, f"price-categories/{category.pk}")),
        manager.put(url(match, f"sectors/{sector.pk}"), {"status": "CLOSED"}, format="json"),
        manager.put(url(match, "sectors/bulk"), {"ids": [sector.pk], "purpose": "VIP"},
                    format="json"),
    ]

    assert [r.status_code for r in responses] == [409] * 5
    assert {r.json()["error"] for r in responses} == {"config_locked"}
    assert "unlock" in responses[0].json()["detail"]


def test_unlocking_returns_to_draft(manager, match):
    match.stadium_config_status = ConfigStatus.LOCKED
    match.save()

    response = manager.post(url(match, "stadium/unlock"))

    assert response.status_code == 200
    assert response.json()["stadium_config_status"] == "DRAFT"
    assert AuditEvent.objects.filter(action="match.stadium_unlocked").exists()


def test_unlocking_is_refused_once_a_sales_phase_opened(manager, match):
    match.stadium_config_status = ConfigStatus.LOCKED
    match.save()
    now = timezone.now()
    SalesPhase.objects.create(match=match, phase_type="LOYALTY", name="Loyalty",
                              start_at=now - timedelta(hours=1), end_at=now + timedelta(days=1))

    response = manager.post(url(match, "stadium/unlock"))

    assert response.status_code == 409
    assert response.json()["error"] == "sales_started"


def test_unlocking_is_refused_once_a_seat_is_held(manager, match, stadium):
    manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json")
    seat = SeatInventory.objects.filter(match=match, status=SeatStatus.AVAILABLE).first()
    SeatInventory.objects.filter(pk=seat.pk).update(status=SeatStatus.RESERVED)
    match.refresh_from_db()
    match.stadium_config_status = ConfigStatus.LOCKED
    match.save()

    assert manager.post(url(match, "stadium/unlock")).status_code == 409


# --- Price categories -----------------------------------------------------------------------

def test_it_creates_lists_and_updates_price_categories(manager, match):
    created = manager.post(url(match, "price-categories"),
                           {"name": "Cat 1", "price": "45.00", "color": "#ff0000"},
                           format="json")
    manager.post(url(match, "price-categories"), {"name": "Cat 2", "price": "25.00"},
                 format="json")

    assert created.status_code == 201
    listed = manager.get(url(match, "price-categories")).json()
    assert [c["name"] for c in listed] == ["Cat 1", "Cat 2"]
    updated = manager.put(url(match, f"price-categories/{created.json()['id']}"),
                          {"price": "50.00"}, format="json")
    assert updated.json()["price"] == "50.00"
    assert AuditEvent.objects.filter(object_type="seating.pricecategory").count() == 3


def test_a_price_category_name_is_unique_per_match(manager, match):
    make_price_category(match=match, name="Cat 1")
    make_price_category(match=make_match(), name="Cat 2")

    taken = manager.post(url(match, "price-categories"), {"name": "Cat 1", "price": "1"},
                         format="json")
    free = manager.post(url(match, "price-categories"), {"name": "Cat 2", "price": "1"},
                        format="json")

    assert (taken.status_code, taken.json()["error"]) == (409, "price_category_exists")
    assert free.status_code == 201


def test_a_price_category_in_use_cannot_be_deleted(manager, match):
    category = make_price_category(match=match)
    make_match_sector(match=match, code="N", price_category=category)

    response = manager.delete(url(match, f"price-categories/{category.pk}"))

    assert (response.status_code, response.json()["error"]) == (409, "price_category_in_use")
    assert "N" in response.json()["detail"]


def test_an_unused_price_category_is_deleted(manager, match):
    category = make_price_category(match=match)

    assert manager.delete(url(match, f"price-categories/{category.pk}")).status_code == 204
    assert not match.price_categories.exists()


# --- Match sectors --------------------------------------------------------------------------

def test_it_adds_a_capacity_sector(manager, match):
    category = make_price_category(match=match)

    response = manager.post(url(match, "sectors"),
                            {"name": "Family", "code": "F", "total_capacity": 200,
                             "technical_seats": 4, "price_category_id": category.pk},
                            format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["sellable_capacity"], body["price_category_id"]) == (196, category.pk)
    assert [s["code"] for s in manager.get(url(match, "sectors")).json()] == ["F"]


def test_it_adds_a_seated_sector_of_the_venue(manager, stadium):
    match = make_match(venue=stadium)
    sector = stadium.sectors.get(code="A")

    response = manager.post(url(match, "sectors"), {"sector_id": sector.pk}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["is_numbered"] is True
    assert SeatInventory.objects.filter(match=match).count() == 50


def test_a_sector_of_another_stadium_is_refused(manager, match, stadium):
    response = manager.post(url(match, "sectors"),
                            {"sector_id": stadium.sectors.first().pk}, format="json")

    assert (response.status_code, response.json()["error"]) == (400, "sector_not_in_venue")


def test_a_sector_code_is_unique_per_match(manager, match):
    make_match_sector(match=match, code="N")

    response = manager.post(url(match, "sectors"),
                            {"name": "North", "code": "N", "total_capacity": 10},
                            format="json")

    assert (response.status_code, response.json()["error"]) == (409, "sector_code_exists")


def test_it_updates_a_sector(manager, match):
    sector = make_match_sector(match=match, total=100)
    category = make_price_category(match=match)

    response = manager.put(url(match, f"sectors/{sector.pk}"),
                           {"status": "MAINTENANCE", "purpose": "PRESS",
                            "price_category_id": category.pk, "sellable_capacity": 80},
                           format="json")

    assert response.status_code == 200, response.json()
    sector.refresh_from_db()
    assert (sector.status, sector.purpose, sector.price_category, sector.sellable_capacity) == (
        "MAINTENANCE", "PRESS", category, 80)
    event = AuditEvent.objects.get(action="match_sector.updated")
    assert event.after["match"] == match.pk


def test_a_sector_cannot_sell_more_than_it_holds(manager, match):
    sector = make_match_sector(match=match, total=100, technical=5)

    response = manager.put(url(match, f"sectors/{sector.pk}"), {"sellable_capacity": 96},
                           format="json")

    assert (response.status_code, response.json()["error"]) == (400, "capacity_exceeded")


def test_a_price_category_of_another_match_is_refused(manager, match):
    sector = make_match_sector(match=match)
    foreign = make_price_category(match=make_match())

    response = manager.put(url(match, f"sectors/{sector.pk}"),
                           {"price_category_id": foreign.pk}, format="json")

    assert (response.status_code, response.json()["error"]) == (400, "unknown_price_category")


def test_a_sector_with_sold_tickets_cannot_be_changed(manager, match, stadium):
    manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json")
    seated = match.sectors.get(code="A")
    sell_one_seat(seated)

    response = manager.put(url(match, f"sectors/{seated.pk}"), {"status": "CLOSED"},
                           format="json")

    assert (response.status_code, response.json()["error"]) == (409, "tickets_sold")


def test_a_bulk_update_changes_every_sector(manager, match):
    north = make_match_sector(match=match, code="N")
    south = make_match_sector(match=match, code="S")
    category = make_price_category(match=match)

    response = manager.put(url(match, "sectors/bulk"),
                           {"ids": [north.pk, south.pk], "price_category_id": category.pk,
                            "purpose": "AWAY_FANS"}, format="json")

    assert response.status_code == 200, response.json()
    assert set(match.sectors.values_list("price_category", "purpose")) == {
        (category.pk, "AWAY_FANS")}
    assert AuditEvent.objects.filter(action="match_sector.updated").count() == 2


def test_a_bulk_update_is_all_or_nothing(manager, match, stadium):
    manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json")
    sell_one_seat(match.sectors.get(code="A"))
    ids = list(match.sectors.values_list("id", flat=True))

    response = manager.put(url(match, "sectors/bulk"), {"ids": ids, "status": "CLOSED"},
                           format="json")

    assert response.status_code == 409
    assert not match.sectors.filter(status="CLOSED").exists()


def test_a_bulk_update_needs_something_to_change(manager, match):
    sector = make_match_sector(match=match)

    response = manager.put(url(match, "sectors/bulk"), {"ids": [sector.pk]}, format="json")

    assert response.status_code == 400


def test_a_bulk_update_refuses_sectors_of_other_matches(manager, match):
    mine = make_match_sector(match=match)
    theirs = make_match_sector(match=make_match())

    response = manager.put(url(match, "sectors/bulk"),
                           {"ids": [mine.pk, theirs.pk], "status": "CLOSED"}, format="json")

    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.status == "ACTIVE"


def test_the_stadium_view_reads_in_a_fixed_number_of_queries(
        manager, match, stadium, django_assert_max_num_queries):
    manager.post(url(match, "stadium"), {"stadium_template_id": stadium.pk}, format="json")
    MatchSector.objects.filter(match=match).update(
        price_category=make_price_category(match=match))

    with django_assert_max_num_queries(6):
        body = manager.get(url(match, "stadium")).json()

    assert len(body["sectors"]) == 3
