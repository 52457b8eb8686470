"""Sector seat maps, seat generation, classification and snake config (E2-F10):
/api/admin/sectors/{id}/seat-map, …/seats/generate, …/seats/classify, /api/admin/seats/{id}/type,
…/snake-config."""

import copy

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator

from core.errors import ValidationFailed
from core.models import AuditEvent
from core.roles import Role
from seating.models import (
    Match,
    MatchSector,
    Seat,
    SeatInventory,
    SeatStatus,
    Sector,
    SectorSeatMap,
    SnakeConfig,
    Stadium,
)
from seating.services.inventory import inventory_build
from seating.services.venues import seat_map_validate, seats_generate, seats_plan

pytestmark = pytest.mark.django_db

# Three rows of five columns. Column 2 is a stairway; row C is short (a corner) and holds a
# camera position; row A has a wheelchair place and its companion seat.
MAP = {
    "dimensions": {"rows": 3, "cols": 5},
    "seats": [
        {"row": 0, "col": 0, "type": "accessibility"}, {"row": 0, "col": 1, "type": "companion"},
        {"row": 0, "col": 3, "type": "standard"}, {"row": 0, "col": 4, "type": "standard"},
        {"row": 1, "col": 0, "type": "standard"}, {"row": 1, "col": 1, "type": "standard"},
        {"row": 1, "col": 3, "type": "standard"}, {"row": 1, "col": 4, "type": "Standard"},
        {"row": 2, "col": 3, "type": "technical"}, {"row": 2, "col": 4, "type": "STANDARD"},
    ],
    "row_labels": ["A", "B", "C"],
    "numbering_direction": "LTR",
}


def seat_map(**changes):
    data = copy.deepcopy(MAP)
    data.update(changes)
    return data


@pytest.fixture
def sector():
    stadium = Stadium.objects.create(name="Opus Arena", city="Osijek")
    return Sector.objects.create(stadium=stadium, name="Zapad Z1", code="Z1", capacity=10)


@pytest.fixture
def mapped(sector):
    SectorSeatMap.objects.create(sector=sector, seat_map_json=seat_map_validate(MAP),
                                 total_seats=10)
    return sector


@pytest.fixture
def generated(mapped):
    seats_generate(sector=mapped)
    return mapped


def url(sector, tail="seat-map"):
    return f"/api/admin/sectors/{sector.pk}/{tail}"


def match_sector_of(sector):
    match = Match.objects.create(home_team="Osijek", away_team="Hajduk",
                                 kick_off_time=timezone.now(), venue=sector.stadium,
                                 match_type="HOME")
    match_sector = MatchSector.objects.create(match=match, sector=sector, name=sector.name,
                                              code=sector.code, total_capacity=10,
                                              sellable_capacity=10)
    inventory_build(match_sector=match_sector)
    return match_sector


def numbering(sector):
    return [(s.row_identifier, s.grid_col, s.seat_number)
            for s in Seat.objects.filter(sector=sector).order_by("grid_row", "grid_col")]


# --- Validation -----------------------------------------------------------------------------

def test_a_valid_map_is_normalised():
    clean = seat_map_validate(seat_map(numbering_direction="rtl"))

    assert clean["numbering_direction"] == "RTL"
    assert {s["type"] for s in clean["seats"]} == {"standard", "technical", "accessibility",
                                                    "companion"}


@pytest.mark.parametrize(("data", "reason"), [
    ([], "must be a JSON object"),
    ({k: v for k, v in MAP.items() if k != "seats"}, "missing seats"),
    (seat_map(dimensions={"rows": 0, "cols": 5}), "dimensions"),
    (seat_map(dimensions={"rows": "3", "cols": 5}), "dimensions"),
    (seat_map(seats=[{"row": 3, "col": 0, "type": "standard"}]), "outside the 3 x 5 grid"),
    (seat_map(seats=[{"row": 0, "col": 5, "type": "standard"}]), "outside the 3 x 5 grid"),
    (seat_map(seats=[{"row": 0, "col": -1, "type": "standard"}]), "outside the 3 x 5 grid"),
    (seat_map(seats=[{"row": 0, "col": 1}, {"row": 0, "col": 1}]), "two seats at row 0, col 1"),
    (seat_map(seats=[{"row": 0, "col": 1, "type": "vip"}]), "unknown type 'vip'"),
    (seat_map(seats=[{"row": 0, "type": "standard"}]), "needs whole numbers row and col"),
    (seat_map(row_labels=["A", "B"]), "every used row needs a label"),
    (seat_map(row_labels=["A", "A", "B"]), "must not repeat"),
    (seat_map(row_labels=["A", "", "C"]), "row_labels must be a list"),
    (seat_map(numbering_direction="UP"), "LTR or RTL"),
])
def test_it_rejects_a_broken_map_with_the_reason(data, reason):
    with pytest.raises(ValidationFailed) as error:
        seat_map_validate(data)

    assert error.value.code == "seat_map_invalid"
    assert reason in error.value.detail


@pytest.mark.parametrize(("data", "field"), [
    ([], "seat_map_json"),
    ({k: v for k, v in MAP.items() if k != "row_labels"}, "row_labels"),
    (seat_map(dimensions={"rows": 3, "cols": 501}), "dimensions"),
    (seat_map(seats=[{"row": 0, "col": 1, "type": 7}]), "seats"),
    (seat_map(row_labels=["A", 2, "C"]), "row_labels"),
    (seat_map(row_labels=["A", "B", "CCCCCCCCCCC"]), "row_labels"),
])
def test_the_wrong_part_is_named_as_the_field(data, field):
    with pytest.raises(ValidationFailed) as error:
        seat_map_validate(data)

    assert field in error.value.fields


def test_the_seat_map_schema_is_published_and_its_example_is_a_valid_map(manager):
    response = manager.get("/api/admin/schemas/seat-map")

    assert response.status_code == 200
    schema = response.json()
    Draft202012Validator.check_schema(schema)
    for example in schema["examples"]:
        assert seat_map_validate(example)["seats"]
    assert not list(Draft202012Validator(schema).iter_errors(MAP))


def test_whole_numbers_written_as_floats_are_stored_as_integers():
    clean = seat_map_validate(seat_map(seats=[{"row": 1.0, "col": 2.0}]))

    assert clean["seats"] == [{"row": 1, "col": 2, "type": "standard"}]
    assert type(clean["seats"][0]["row"]) is int


def test_row_labels_need_only_cover_the_rows_in_use():
    clean = seat_map_validate(seat_map(dimensions={"rows": 10, "cols": 5}))

    assert clean["dimensions"]["rows"] == 10


# --- Seat map endpoints ---------------------------------------------------------------------

def test_it_needs_the_match_manager_role(api, make_user, sector):
    api.force_authenticate(make_user(roles=[Role.SUPPORT_AGENT]))

    assert api.get(url(sector)).status_code == 403
    assert api.post(url(sector), MAP, format="json").status_code == 403
    assert api.post(url(sector, "seats/generate"), {}, format="json").status_code == 403
    assert api.get(url(sector, "snake-config")).status_code == 403


def test_it_creates_a_seat_map_and_counts_its_seats(manager, sector):
    response = manager.post(url(sector), MAP, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["total_seats"] == 10
    assert body["configuration_status"] == "DRAFT"
    assert body["seat_map_json"]["row_labels"] == ["A", "B", "C"]
    assert SectorSeatMap.objects.get(sector=sector).total_seats == 10
    assert AuditEvent.objects.filter(action="seat_map.created").exists()


def test_it_accepts_the_map_wrapped_in_seat_map_json(manager, sector):
    response = manager.post(url(sector), {"seat_map_json": MAP}, format="json")

    assert response.status_code == 201


def test_an_invalid_map_is_422_with_the_reason(manager, sector):
    response = manager.post(url(sector), seat_map(row_labels=["A"]), format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "seat_map_invalid"
    assert "row_labels" in body["fields"]
    assert "every used row needs a label" in body["detail"]
    assert not SectorSeatMap.objects.exists()


def test_a_sector_has_one_seat_map(manager, mapped):
    response = manager.post(url(mapped), MAP, format="json")

    assert response.status_code == 409
    assert response.json()["error"] == "seat_map_exists"


def test_it_returns_the_map_for_the_editor(manager, mapped):
    response = manager.get(url(mapped))

    assert response.status_code == 200
    assert response.json()["seat_map_json"]["dimensions"] == {"rows": 3, "cols": 5}


def test_a_sector_without_a_map_is_404(manager, sector):
    response = manager.get(url(sector))

    assert response.status_code == 404
    assert response.json()["error"] == "seat_map_not_found"


def test_it_updates_the_map_and_recounts(manager, mapped):
    smaller = seat_map(seats=MAP["seats"][:4])

    response = manager.put(url(mapped), smaller, format="json")

    assert response.status_code == 200
    assert response.json()["total_seats"] == 4
    assert AuditEvent.objects.get(action="seat_map.updated").before["total_seats"] == 10


def test_updating_a_generated_map_sends_it_back_to_draft(manager, generated):
    response = manager.put(url(generated), MAP, format="json")

    assert response.json()["configuration_status"] == "DRAFT"


def test_it_deletes_a_map_without_seats(manager, mapped):
    assert manager.delete(url(mapped)).status_code == 204
    assert not SectorSeatMap.objects.exists()


def test_it_refuses_to_delete_a_map_whose_seats_were_generated(manager, generated):
    response = manager.delete(url(generated))

    assert response.status_code == 409
    assert response.json()["error"] == "seats_generated"
    assert SectorSeatMap.objects.filter(sector=generated).exists()


# --- Generation -----------------------------------------------------------------------------

def test_numbering_is_left_to_right_and_skips_gaps(manager, mapped):
    response = manager.post(url(mapped, "seats/generate"), {}, format="json")

    assert response.status_code == 201
    assert response.json()["total"] == 10
    assert numbering(mapped) == [
        ("A", 0, 1), ("A", 1, 2), ("A", 3, 3), ("A", 4, 4),
        ("B", 0, 1), ("B", 1, 2), ("B", 3, 3), ("B", 4, 4),
        ("C", 3, 1), ("C", 4, 2),
    ]


def test_numbering_right_to_left_counts_from_the_right(mapped):
    SectorSeatMap.objects.filter(sector=mapped).update(
        seat_map_json=seat_map(numbering_direction="RTL"))

    seats_generate(sector=mapped)

    assert numbering(mapped) == [
        ("A", 0, 4), ("A", 1, 3), ("A", 3, 2), ("A", 4, 1),
        ("B", 0, 4), ("B", 1, 3), ("B", 3, 2), ("B", 4, 1),
        ("C", 3, 2), ("C", 4, 1),
    ]


def test_generation_keeps_the_seat_types_and_marks_the_map_generated(mapped):
    seats_generate(sector=mapped)

    types = {(s.row_identifier, s.seat_number): s.seat_type for s in mapped.seats.all()}
    assert types[("A", 1)] == "ACCESSIBILITY"
    assert types[("A", 2)] == "COMPANION"
    assert types[("C", 1)] == "TECHNICAL"
    assert types[("B", 4)] == "STANDARD"
    mapped.refresh_from_db()
    assert mapped.seat_count == 10
    assert mapped.seat_map.configuration_status == "GENERATED"
    assert AuditEvent.objects.get(action="seats.generated").after["seat_count"] == 10


def test_a_preview_lists_the_seats_without_saving(manager, mapped):
    response = manager.post(url(mapped, "seats/generate"), {"preview": True}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["preview"] is True
    assert body["total"] == 10
    assert body["seats"][0] == {"row_identifier": "A", "seat_number": 1,
                                "seat_type": "ACCESSIBILITY", "grid_row": 0, "grid_col": 0}
    assert not Seat.objects.exists()
    mapped.refresh_from_db()
    assert mapped.seat_count == 0


def test_generating_twice_needs_force_regenerate(manager, generated):
    response = manager.post(url(generated, "seats/generate"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["error"] == "seats_exist"


def test_force_regenerate_replaces_the_seats(manager, generated):
    SectorSeatMap.objects.filter(sector=generated).update(
        seat_map_json=seat_map(seats=MAP["seats"][:3]))
    old_ids = set(generated.seats.values_list("id", flat=True))

    response = manager.post(url(generated, "seats/generate"), {"force_regenerate": True},
                            format="json")

    assert response.status_code == 201
    assert response.json()["total"] == 3
    assert not old_ids & set(generated.seats.values_list("id", flat=True))
    generated.refresh_from_db()
    assert generated.seat_count == 3


@pytest.mark.parametrize("status", [SeatStatus.SOLD, SeatStatus.RESERVED, SeatStatus.ALLOCATED])
def test_it_refuses_to_regenerate_once_tickets_exist(manager, generated, status):
    match_sector = match_sector_of(generated)
    SeatInventory.objects.filter(pk=match_sector.inventory.first().pk).update(status=status)

    response = manager.post(url(generated, "seats/generate"), {"force_regenerate": True},
                            format="json")

    assert response.status_code == 409
    assert response.json()["error"] == "tickets_exist"
    assert generated.seats.count() == 10


def test_it_refuses_to_regenerate_seats_a_match_inventory_uses(manager, generated):
    match_sector_of(generated)

    response = manager.post(url(generated, "seats/generate"), {"force_regenerate": True},
                            format="json")

    assert response.status_code == 409
    assert response.json()["error"] == "seats_in_use"


def test_generating_without_a_map_is_404(manager, sector):
    response = manager.post(url(sector, "seats/generate"), {}, format="json")

    assert response.status_code == 404


def test_irregular_rows_are_numbered_row_by_row():
    irregular = seat_map_validate({
        "dimensions": {"rows": 3, "cols": 8},
        "seats": [{"row": 0, "col": c} for c in range(2, 6)]
        + [{"row": 1, "col": c} for c in range(8) if c != 4]
        + [{"row": 2, "col": 7}],
        "row_labels": ["1", "2", "3"], "numbering_direction": "LTR",
    })

    plan = seats_plan(irregular)

    by_row = {}
    for seat in plan:
        by_row.setdefault(seat.row_identifier, []).append(seat.seat_number)
    assert by_row == {"1": [1, 2, 3, 4], "2": [1, 2, 3, 4, 5, 6, 7], "3": [1]}
    assert [s.grid_col for s in plan if s.row_identifier == "2"] == [0, 1, 2, 3, 5, 6, 7]


# --- Classification -------------------------------------------------------------------------

def test_it_classifies_seats_by_id_and_keeps_the_map_in_step(manager, generated):
    seats = list(generated.seats.filter(row_identifier="B", seat_number__in=[1, 2]))

    response = manager.post(url(generated, "seats/classify"),
                            {"seat_ids": [s.pk for s in seats], "seat_type": "technical"},
                            format="json")

    assert response.status_code == 200
    assert response.json()["updated"] == 2
    assert set(generated.seats.filter(seat_type="TECHNICAL")
               .values_list("row_identifier", "seat_number")) == {("B", 1), ("B", 2), ("C", 1)}
    types = {(s["row"], s["col"]): s["type"]
             for s in SectorSeatMap.objects.get(sector=generated).seat_map_json["seats"]}
    assert types[(1, 0)] == types[(1, 1)] == "technical"
    assert AuditEvent.objects.filter(action="seats.classified").exists()


def test_it_classifies_seats_by_rows_and_numbers(manager, generated):
    response = manager.post(url(generated, "seats/classify"),
                            {"rows": ["A", "B"], "numbers": [4], "seat_type": "ACCESSIBILITY"},
                            format="json")

    assert response.json()["updated"] == 2
    assert set(generated.seats.filter(seat_type="ACCESSIBILITY")
               .values_list("row_identifier", "seat_number")) == {("A", 1), ("A", 4), ("B", 4)}


def test_it_refuses_to_classify_seats_of_another_sector(manager, generated):
    other = Sector.objects.create(stadium=generated.stadium, name="Z2", code="Z2", capacity=1)
    SectorSeatMap.objects.create(sector=other, seat_map_json=seat_map_validate(MAP))
    seats_generate(sector=other)
    foreign = other.seats.first()

    response = manager.post(url(generated, "seats/classify"),
                            {"seat_ids": [foreign.pk], "seat_type": "TECHNICAL"}, format="json")

    assert response.status_code == 422
    assert response.json()["error"] == "seats_not_in_sector"
    foreign.refresh_from_db()
    assert foreign.seat_type == "ACCESSIBILITY"


def test_classify_needs_a_selection_and_a_known_type(manager, generated):
    nothing = manager.post(url(generated, "seats/classify"), {"seat_type": "TECHNICAL"},
                           format="json")
    unknown = manager.post(url(generated, "seats/classify"),
                           {"rows": ["A"], "seat_type": "VIP"}, format="json")

    assert nothing.status_code == 400
    assert unknown.status_code == 400
    assert "seat_type" in unknown.json()["fields"]


def test_it_changes_the_type_of_one_seat(manager, generated):
    seat = generated.seats.get(row_identifier="B", seat_number=3)

    response = manager.put(f"/api/admin/seats/{seat.pk}/type", {"seat_type": "companion"},
                           format="json")

    assert response.status_code == 200
    assert response.json()["seat_type"] == "COMPANION"
    seat.refresh_from_db()
    assert seat.seat_type == "COMPANION"
    event = AuditEvent.objects.get(action="seat.type_changed")
    assert (event.before, event.after) == ({"seat_type": "STANDARD"},
                                           {"seat_type": "COMPANION"})


def test_an_unknown_seat_is_404(manager):
    assert manager.put("/api/admin/seats/999999/type", {"seat_type": "STANDARD"},
                       format="json").status_code == 404


# --- Snake config ---------------------------------------------------------------------------

def test_a_sector_without_a_snake_config_shows_the_defaults(manager, mapped):
    response = manager.get(url(mapped, "snake-config"))

    assert response.status_code == 200
    body = response.json()
    assert (body["best_row_index"], body["traversal_direction"], body["within_row_strategy"],
            body["subsector_grouping_json"]) == (0, "TOP_TO_BOTTOM", "CENTER_OUTWARD", [])
    assert not SnakeConfig.objects.exists()


def test_it_saves_a_snake_config(manager, mapped):
    groups = [{"name": "left", "col_from": 0, "col_to": 1},
              {"name": "right", "col_from": 3, "col_to": 4}]

    response = manager.put(url(mapped, "snake-config"), {
        "best_row_index": 1, "traversal_direction": "BOTTOM_TO_TOP",
        "within_row_strategy": "LEFT_TO_RIGHT", "subsector_grouping_json": groups,
    }, format="json")

    assert response.status_code == 200
    config = SnakeConfig.objects.get(sector=mapped)
    assert config.best_row_index == 1
    assert config.traversal_direction == "BOTTOM_TO_TOP"
    assert config.subsector_grouping_json == groups
    assert AuditEvent.objects.filter(action="snake_config.updated").exists()


@pytest.mark.parametrize(("groups", "reason"), [
    ({"name": "left"}, "must be a list"),
    ([{"name": "left", "col_from": 3, "col_to": 1}], "col_from must not be after col_to"),
    ([{"name": "a", "col_from": 0, "col_to": 2}, {"name": "b", "col_from": 2, "col_to": 4}],
     "overlap"),
    ([{"name": "a", "col_from": 0, "col_to": 9}], "outside the map"),
    ([{"col_from": 0, "col_to": 1}], "needs a name"),
    ([{"name": "a", "col_from": "0", "col_to": 1}], "whole numbers"),
])
def test_it_rejects_bad_subsectors(manager, mapped, groups, reason):
    response = manager.put(url(mapped, "snake-config"), {"subsector_grouping_json": groups},
                           format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "snake_config_invalid"
    assert reason in body["detail"]
    assert not SnakeConfig.objects.exists()


def test_the_best_row_must_lie_inside_the_map(manager, mapped):
    response = manager.put(url(mapped, "snake-config"), {"best_row_index": 3}, format="json")

    assert response.status_code == 422
    assert "best_row_index" in response.json()["fields"]


def test_a_snake_config_change_reranks_the_inventory_of_every_match(manager, generated):
    first, second = match_sector_of(generated), match_sector_of(generated)

    response = manager.put(url(generated, "snake-config"), {
        "best_row_index": 2,
        "subsector_grouping_json": [{"name": "left", "col_from": 0, "col_to": 1},
                                    {"name": "right", "col_from": 3, "col_to": 4}],
    }, format="json")

    assert response.status_code == 200
    for match_sector in (first, second):
        ranks = {(i.grid_row, i.grid_col): (i.row_rank, i.block)
                 for i in match_sector.inventory.all()}
        assert ranks[(2, 3)] == (0, 1)
        assert ranks[(0, 0)] == (2, 0)
        assert ranks[(1, 4)] == (1, 1)
