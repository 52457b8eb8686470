"""Stadium templates (E2-F3, E2-F5) and sector seat maps (E2-F10): the writes and the rules.

A seat map is the JSON the canvas editor draws: {"dimensions": {"rows", "cols"}, "seats":
[{"row", "col", "type"}], "row_labels": [...], "numbering_direction": "LTR"|"RTL"}; a gap
(stairway, aisle, wall) is simply a missing seat. Seats are generated from it: grid row r gets
the label row_labels[r], and the seats of each row are numbered 1..n in the numbering direction,
so gaps never consume a number. Once a match sells or holds a seat, its sector's seats are
frozen: regenerating would pull the seat from under the ticket."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Prefetch, ProtectedError, QuerySet
from django.utils import timezone
from jsonschema import Draft202012Validator, ValidationError

from core.audit import audit_record, snapshot
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_first
from seating.models import (
    MatchSector,
    Seat,
    SeatInventory,
    SeatStatus,
    SeatType,
    Sector,
    SectorSeatMap,
    SnakeConfig,
    Stadium,
)
from seating.schemas import schema_load
from seating.services.inventory import inventory_rerank

STADIUM_FIELDS = ("name", "city", "country", "address", "stadium_type", "base_capacity",
                  "is_numbered")
SECTOR_FIELDS = ("name", "code", "capacity", "sector_type", "display_order")
SNAKE_FIELDS = ("best_row_index", "traversal_direction", "within_row_strategy",
                "subsector_grouping_json")

SEAT_MAP_SCHEMA = schema_load("seat_map")
SEAT_MAP_VALIDATOR = Draft202012Validator(SEAT_MAP_SCHEMA)
SEAT_MAP_TYPES = {t.lower(): t for t in SeatType.values}  # "standard" -> "STANDARD"
# Rows or columns of one sector (the schema's bound); the largest real sectors are ~60 x 120.
MAX_DIMENSION = SEAT_MAP_SCHEMA["properties"]["dimensions"]["properties"]["rows"]["maximum"]
ROW_LABEL_MAX = Seat._meta.get_field("row_identifier").max_length
# Inventory statuses that mean a fan or a quota has (or is about to have) a ticket for the seat.
TICKETED = (SeatStatus.SOLD, SeatStatus.RESERVED, SeatStatus.ALLOCATED)


# --- Access helpers -------------------------------------------------------------------------

def stadium_list(*, stadium_type: str | None = None) -> QuerySet[Stadium]:
    # Meta.ordering does not apply to GROUP BY queries, and pagination needs an order.
    stadiums = Stadium.objects.annotate(sector_count=Count("sectors")).order_by("name", "id")
    return stadiums.filter(stadium_type=stadium_type) if stadium_type else stadiums


def stadium_get(*, stadium_id: int, with_sectors: bool = False) -> Stadium:
    stadiums = Stadium.objects.all()
    if with_sectors:
        stadiums = stadiums.prefetch_related(
            Prefetch("sectors", queryset=Sector.objects.select_related("seat_map")))
    stadium = stadiums.filter(pk=stadium_id).first()
    if stadium is None:
        raise NotFound("No such stadium.", code="stadium_not_found")
    return stadium


def sector_list(*, stadium: Stadium) -> QuerySet[Sector]:
    return stadium.sectors.select_related("seat_map")


def sector_get(*, sector_id: int, stadium_id: int | None = None, lock: bool = False) -> Sector:
    """The sector (404 if missing or, when `stadium_id` is given, in another stadium); `lock`
    takes its row lock, which serialises every change to its seat map and seats."""
    sectors = Sector.objects.select_related("stadium").filter(pk=sector_id)
    if stadium_id is not None:
        sectors = sectors.filter(stadium_id=stadium_id)
    sector = lock_first(sectors) if lock else sectors.first()
    if sector is None:
        raise NotFound("No such sector.", code="sector_not_found")
    return sector


def seat_get(*, seat_id: int) -> Seat:
    seat = Seat.objects.filter(pk=seat_id).first()
    if seat is None:
        raise NotFound("No such seat.", code="seat_not_found")
    return seat


def seat_list(*, sector: Sector) -> QuerySet[Seat]:
    return Seat.objects.filter(sector=sector).order_by("grid_row", "grid_col")


def seat_map_get(*, sector: Sector) -> SectorSeatMap:
    seat_map = SectorSeatMap.objects.filter(sector=sector).first()
    if seat_map is None:
        raise NotFound("This sector has no seat map yet.", code="seat_map_not_found")
    return seat_map


def snake_config_get(*, sector: Sector) -> SnakeConfig:
    """The sector's snake config, or the defaults (unsaved) when none was set."""
    return SnakeConfig.objects.filter(sector=sector).first() or SnakeConfig(sector=sector)


# --- Stadiums and sectors -------------------------------------------------------------------

def stadium_create(*, data: dict, actor=None, request=None) -> Stadium:
    stadium = Stadium(**{k: v for k, v in data.items() if k in STADIUM_FIELDS})
    with transaction.atomic():
        stadium.save()
        audit_record(actor=actor, action="stadium.created", obj=stadium,
                     after=snapshot(stadium, *STADIUM_FIELDS), request=request)
    return stadium


def _code_taken(code: str) -> Conflict:
    return Conflict(f"This stadium already has a sector with the code {code}.",
                    code="sector_code_taken", field="code")


def sector_create(*, stadium: Stadium, data: dict, actor=None, request=None) -> Sector:
    sector = Sector(stadium=stadium, **{k: v for k, v in data.items() if k in SECTOR_FIELDS})
    if Sector.objects.filter(stadium=stadium, code=sector.code).exists():
        raise _code_taken(sector.code)
    try:
        with transaction.atomic():
            sector.save()
            audit_record(actor=actor, action="sector.created", obj=sector,
                         after=snapshot(sector, "stadium", *SECTOR_FIELDS), request=request)
    except IntegrityError as exc:  # a concurrent create won the race for the code
        raise _code_taken(sector.code) from exc
    return sector


def sector_update(*, sector: Sector, data: dict, actor=None, request=None) -> Sector:
    changes = {k: v for k, v in data.items() if k in SECTOR_FIELDS}
    code = changes.get("code", sector.code)
    if (code != sector.code and Sector.objects.filter(stadium_id=sector.stadium_id, code=code)
            .exclude(pk=sector.pk).exists()):
        raise _code_taken(code)
    before = snapshot(sector, *SECTOR_FIELDS)
    for name, value in changes.items():
        setattr(sector, name, value)
    try:
        with transaction.atomic():
            sector.save(update_fields=list(changes) or None)
            audit_record(actor=actor, action="sector.updated", obj=sector, before=before,
                         after=snapshot(sector, *SECTOR_FIELDS), request=request)
    except IntegrityError as exc:
        raise _code_taken(code) from exc
    return sector


def sector_delete(*, sector: Sector, actor=None, request=None) -> None:
    with transaction.atomic():
        sector = sector_get(sector_id=sector.pk, lock=True)
        if SectorSeatMap.objects.filter(sector=sector).exists():
            raise Conflict("Delete the sector's seat map first.", code="sector_has_seat_map")
        if MatchSector.objects.filter(sector=sector).exists():
            raise Conflict("A match uses this sector; it cannot be deleted.",
                           code="sector_in_use")
        before = snapshot(sector, "stadium", *SECTOR_FIELDS)
        audit_record(actor=actor, action="sector.deleted", obj=sector, before=before,
                     request=request)
        sector.delete()


# --- Seat maps ------------------------------------------------------------------------------

def _invalid(reason: str, field: str) -> ValidationFailed:
    return ValidationFailed(reason, code="seat_map_invalid", field=field)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _schema_error(error: ValidationError) -> ValidationFailed:
    """The schema's own message (x-error) of the deepest part the error lies in."""
    path = list(error.absolute_path)
    if error.validator == "required" and not path:
        missing = [key for key in error.validator_value if key not in error.instance]
        return _invalid(f"The seat map is missing {', '.join(missing)}.", missing[0])
    node, message, index = SEAT_MAP_SCHEMA, SEAT_MAP_SCHEMA["x-error"], None
    for part in path:
        if isinstance(part, int):
            node, index = node.get("items", {}), part
        else:
            node = node.get("properties", {}).get(part, {})
        message = node.get("x-error", message)
    return _invalid(message.format(index=index, value=error.instance,
                                   max_dimension=MAX_DIMENSION, label_max=ROW_LABEL_MAX,
                                   types=", ".join(SEAT_MAP_TYPES)),
                    str(path[0]) if path else "seat_map_json")


def seat_map_validate(data) -> dict:
    """Check a seat map drawn by the editor against the published schema
    (seating/schemas/seat_map.json) and what a schema cannot say (422 `seat_map_invalid` with
    the reason), and return it normalised: seat types lower case, seats sorted by position,
    direction upper case."""
    if error := next(SEAT_MAP_VALIDATOR.iter_errors(data), None):
        raise _schema_error(error)
    rows, cols = int(data["dimensions"]["rows"]), int(data["dimensions"]["cols"])

    labels = [label.strip() for label in data["row_labels"]]
    if any(len(label) > ROW_LABEL_MAX for label in labels):
        raise _invalid(f"row_labels must be a list of labels of 1 to {ROW_LABEL_MAX} characters.",
                       "row_labels")
    if len(set(labels)) != len(labels):
        raise _invalid("row_labels must not repeat a label.", "row_labels")

    seats, taken = [], set()
    for index, seat in enumerate(data["seats"]):
        where = f"seats[{index}]"
        row, col, kind = int(seat["row"]), int(seat["col"]), seat.get("type", "standard")
        if not (0 <= row < rows and 0 <= col < cols):
            raise _invalid(f"{where} at row {row}, col {col} lies outside the {rows} x {cols} "
                           "grid.", "seats")
        if (row, col) in taken:
            raise _invalid(f"{where}: two seats at row {row}, col {col}.", "seats")
        if kind.lower() not in SEAT_MAP_TYPES:
            raise _invalid(f"{where} has the unknown type {kind!r}; use one of "
                           f"{', '.join(SEAT_MAP_TYPES)}.", "seats")
        taken.add((row, col))
        seats.append({"row": row, "col": col, "type": kind.lower()})

    used_rows = {row for row, _ in taken}
    if used_rows and max(used_rows) >= len(labels):
        raise _invalid(f"row_labels has {len(labels)} labels but seats use row "
                       f"{max(used_rows)}; every used row needs a label.", "row_labels")

    seats.sort(key=lambda s: (s["row"], s["col"]))
    return {"dimensions": {"rows": rows, "cols": cols}, "seats": seats, "row_labels": labels,
            "numbering_direction": data["numbering_direction"].upper()}


@dataclass(frozen=True)
class PlannedSeat:
    row_identifier: str
    seat_number: int
    seat_type: str
    grid_row: int
    grid_col: int


def seats_plan(seat_map: dict) -> list[PlannedSeat]:
    """The seats a (validated) map generates, in grid order."""
    by_row: dict[int, list[dict]] = defaultdict(list)
    for seat in seat_map["seats"]:
        by_row[seat["row"]].append(seat)
    rtl = seat_map["numbering_direction"] == "RTL"
    planned = []
    for row in sorted(by_row):
        ordered = sorted(by_row[row], key=lambda s: s["col"], reverse=rtl)
        label = seat_map["row_labels"][row]
        planned += [PlannedSeat(label, number, SEAT_MAP_TYPES[s["type"]], row, s["col"])
                    for number, s in enumerate(ordered, start=1)]
    planned.sort(key=lambda p: (p.grid_row, p.grid_col))
    return planned


def _seat_map_summary(seat_map: SectorSeatMap) -> dict:
    return {"total_seats": seat_map.total_seats,
            "configuration_status": seat_map.configuration_status}


def seat_map_create(*, sector: Sector, data, actor=None, request=None) -> SectorSeatMap:
    seat_map_json = seat_map_validate(data)
    with transaction.atomic():
        sector = sector_get(sector_id=sector.pk, lock=True)
        if SectorSeatMap.objects.filter(sector=sector).exists():
            raise Conflict("This sector already has a seat map; update it with PUT.",
                           code="seat_map_exists")
        seat_map = SectorSeatMap.objects.create(sector=sector, seat_map_json=seat_map_json,
                                                total_seats=len(seat_map_json["seats"]))
        audit_record(actor=actor, action="seat_map.created", obj=seat_map,
                     after={"sector": sector.pk, **_seat_map_summary(seat_map)}, request=request)
    return seat_map


def seat_map_update(*, sector: Sector, data, actor=None, request=None) -> SectorSeatMap:
    """Replace the map. Seats already generated stay as they are until the next (forced)
    generation, so the map goes back to DRAFT."""
    seat_map_json = seat_map_validate(data)
    with transaction.atomic():
        sector = sector_get(sector_id=sector.pk, lock=True)
        seat_map = seat_map_get(sector=sector)
        before = _seat_map_summary(seat_map)
        seat_map.seat_map_json = seat_map_json
        seat_map.total_seats = len(seat_map_json["seats"])
        seat_map.configuration_status = SectorSeatMap.Status.DRAFT
        seat_map.save(update_fields=["seat_map_json", "total_seats", "configuration_status",
                                     "updated_at"])
        audit_record(actor=actor, action="seat_map.updated", obj=seat_map, before=before,
                     after=_seat_map_summary(seat_map), request=request)
    return seat_map


def seat_map_delete(*, sector: Sector, actor=None, request=None) -> None:
    with transaction.atomic():
        sector = sector_get(sector_id=sector.pk, lock=True)
        seat_map = seat_map_get(sector=sector)
        if Seat.objects.filter(sector=sector).exists():
            raise Conflict("Seats were generated from this map; it cannot be deleted.",
                           code="seats_generated")
        audit_record(actor=actor, action="seat_map.deleted", obj=seat_map,
                     before={"sector": sector.pk, **_seat_map_summary(seat_map)},
                     request=request)
        seat_map.delete()


def _seats_insert(*, sector: Sector, planned: list[PlannedSeat]) -> None:
    """Write the planned seats. A stadium template holds ~100,000 seats, and building that
    many model instances dominates a seed, so PostgreSQL gets them through COPY."""
    if connection.vendor != "postgresql":
        Seat.objects.bulk_create(
            [Seat(sector=sector, row_identifier=p.row_identifier, seat_number=p.seat_number,
                  seat_type=p.seat_type, grid_row=p.grid_row, grid_col=p.grid_col)
             for p in planned], batch_size=2000)
        return
    now = timezone.now()
    table = Seat._meta.db_table
    columns = "sector_id, row_identifier, seat_number, seat_type, grid_row, grid_col, created_at"
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN") as copy:
        for p in planned:
            copy.write_row((sector.pk, p.row_identifier, p.seat_number, p.seat_type,
                            p.grid_row, p.grid_col, now))


def seats_generate(*, sector: Sector, preview: bool = False, force_regenerate: bool = False,
                   actor=None, request=None) -> list[PlannedSeat]:
    """Create the sector's seats from its map (or, with `preview`, only list them); returns
    the planned seats. Existing seats are replaced only with `force_regenerate`, and never
    once a match has inventory for them."""
    if preview:
        return seats_plan(seat_map_validate(seat_map_get(sector=sector).seat_map_json))
    with transaction.atomic():
        sector = sector_get(sector_id=sector.pk, lock=True)
        seat_map = seat_map_get(sector=sector)
        planned = seats_plan(seat_map_validate(seat_map.seat_map_json))
        existing = Seat.objects.filter(sector=sector)
        removed = 0
        if existing.exists():
            if not force_regenerate:
                raise Conflict("Seats were already generated; pass force_regenerate to "
                               "replace them.", code="seats_exist")
            inventory = SeatInventory.objects.filter(seat__sector=sector)
            if inventory.filter(status__in=TICKETED).exists():
                raise Conflict("Tickets exist for seats of this sector; they cannot be "
                               "regenerated.", code="tickets_exist")
            if inventory.exists():
                raise Conflict("A match's seat inventory uses these seats; they cannot be "
                               "regenerated.", code="seats_in_use")
            try:
                removed, _ = existing.delete()
            except ProtectedError as exc:  # inventory built since the check above
                raise Conflict("A match's seat inventory uses these seats; try again.",
                               code="seats_in_use") from exc
        _seats_insert(sector=sector, planned=planned)
        sector.seat_count = len(planned)
        sector.save(update_fields=["seat_count"])
        seat_map.configuration_status = SectorSeatMap.Status.GENERATED
        seat_map.total_seats = len(planned)
        seat_map.save(update_fields=["configuration_status", "total_seats", "updated_at"])
        audit_record(actor=actor, action="seats.generated", obj=sector,
                     after={"seat_count": len(planned), "removed": removed,
                            "force_regenerate": force_regenerate}, request=request)
    return planned


def _seat_types_in_map(seat_map: SectorSeatMap, seats: Iterable[Seat], seat_type: str) -> None:
    """Keep the map in step with a reclassification, so a later regeneration keeps it."""
    positions = {(s.grid_row, s.grid_col) for s in seats}
    data = seat_map.seat_map_json
    for seat in data.get("seats", []):
        if (seat.get("row"), seat.get("col")) in positions:
            seat["type"] = seat_type.lower()
    seat_map.save(update_fields=["seat_map_json", "updated_at"])


def seats_classify(*, sector: Sector, seat_type: str, seat_ids: list[int] | None = None,
                   rows: list[str] | None = None, numbers: list[int] | None = None,
                   actor=None, request=None) -> list[Seat]:
    """Set the type of many seats of one sector: by id, or by row labels (and, optionally,
    seat numbers within those rows)."""
    with transaction.atomic():
        sector = sector_get(sector_id=sector.pk, lock=True)
        seats_q = Seat.objects.filter(sector=sector)
        if seat_ids:
            seats = list(seats_q.filter(pk__in=seat_ids))
            foreign = sorted(set(seat_ids) - {s.pk for s in seats})
            if foreign:
                raise ValidationFailed(
                    f"Seats {', '.join(map(str, foreign))} are not in this sector.",
                    code="seats_not_in_sector", field="seat_ids")
        elif rows:
            seats_q = seats_q.filter(row_identifier__in=rows)
            if numbers:
                seats_q = seats_q.filter(seat_number__in=numbers)
            seats = list(seats_q)
            if not seats:
                raise ValidationFailed("No seat of this sector matches those rows and numbers.",
                                       code="no_seats_matched", field="rows")
        else:
            raise ValidationFailed("Give seat_ids, or rows (and optionally numbers).",
                                   code="no_seats_selected", field="seat_ids")
        Seat.objects.filter(pk__in=[s.pk for s in seats]).update(seat_type=seat_type)
        for seat in seats:
            seat.seat_type = seat_type
        seat_map = SectorSeatMap.objects.filter(sector=sector).first()
        if seat_map is not None:
            _seat_types_in_map(seat_map, seats, seat_type)
        audit_record(actor=actor, action="seats.classified", obj=sector,
                     after={"seat_type": seat_type, "seat_ids": sorted(s.pk for s in seats)},
                     request=request)
    return sorted(seats, key=lambda s: (s.grid_row, s.grid_col))


def seat_type_set(*, seat: Seat, seat_type: str, actor=None, request=None) -> Seat:
    with transaction.atomic():
        sector = sector_get(sector_id=seat.sector_id, lock=True)
        seat = Seat.objects.get(pk=seat.pk)
        before = snapshot(seat, "seat_type")
        seat.seat_type = seat_type
        seat.save(update_fields=["seat_type"])
        seat_map = SectorSeatMap.objects.filter(sector=sector).first()
        if seat_map is not None:
            _seat_types_in_map(seat_map, [seat], seat_type)
        audit_record(actor=actor, action="seat.type_changed", obj=seat, before=before,
                     after=snapshot(seat, "seat_type"), request=request)
    return seat


# --- Snake config ---------------------------------------------------------------------------

def _snake_invalid(reason: str, field: str) -> ValidationFailed:
    return ValidationFailed(reason, code="snake_config_invalid", field=field)


def subsector_grouping_validate(groups, *, cols: int | None = None) -> list[dict]:
    """[{"name", "col_from", "col_to"}] with col_from <= col_to (inclusive, inside the map when
    `cols` is known) and no two ranges overlapping; order is kept (it is the traversal order)."""
    field = "subsector_grouping_json"
    if not isinstance(groups, list):
        raise _snake_invalid("subsector_grouping_json must be a list.", field)
    clean = []
    for index, group in enumerate(groups):
        where = f"subsector_grouping_json[{index}]"
        if not isinstance(group, dict) or not isinstance(group.get("name"), str) \
                or not group["name"].strip():
            raise _snake_invalid(f"{where} needs a name.", field)
        col_from, col_to = group.get("col_from"), group.get("col_to")
        if not (_is_int(col_from) and _is_int(col_to) and col_from >= 0):
            raise _snake_invalid(f"{where} needs whole numbers col_from and col_to.", field)
        if col_from > col_to:
            raise _snake_invalid(f"{where}: col_from must not be after col_to.", field)
        if cols is not None and col_to >= cols:
            raise _snake_invalid(f"{where}: col_to {col_to} is outside the map's {cols} columns.",
                                 field)
        clean.append({"name": group["name"].strip(), "col_from": col_from, "col_to": col_to})
    ranges = sorted(clean, key=lambda g: g["col_from"])
    for left, right in pairwise(ranges):
        if right["col_from"] <= left["col_to"]:
            raise _snake_invalid(f"Subsectors {left['name']} and {right['name']} overlap.", field)
    return clean


def snake_config_update(*, sector: Sector, data: dict, actor=None,
                        request=None) -> SnakeConfig:
    """Set the sector's snake config, then re-rank the inventory of every match using it."""
    with transaction.atomic():
        sector = sector_get(sector_id=sector.pk, lock=True)
        seat_map = SectorSeatMap.objects.filter(sector=sector).first()
        dims = seat_map.seat_map_json["dimensions"] if seat_map else None
        changes = {k: v for k, v in data.items() if k in SNAKE_FIELDS}
        if "subsector_grouping_json" in changes:
            changes["subsector_grouping_json"] = subsector_grouping_validate(
                changes["subsector_grouping_json"], cols=dims["cols"] if dims else None)
        if dims and changes.get("best_row_index", 0) >= dims["rows"]:
            raise _snake_invalid(f"best_row_index must be below the map's {dims['rows']} rows.",
                                 "best_row_index")
        config = snake_config_get(sector=sector)
        before = snapshot(config, *SNAKE_FIELDS) if config.pk else None
        for name, value in changes.items():
            setattr(config, name, value)
        config.save()
        audit_record(actor=actor, action="snake_config.updated", obj=config, before=before,
                     after=snapshot(config, *SNAKE_FIELDS), request=request)
        for match_sector in MatchSector.objects.filter(sector=sector):
            inventory_rerank(match_sector=match_sector)
    return config
