"""Per-match seat inventory: building it from the template seats, ranking rows for the snake,
and the one function that changes seat statuses (every change validated against TRANSITIONS,
versioned and audited). Allocation (seating.services.allocation) builds on these.

`seats_transition` writes in plain SQL: it runs for every order sold, and building the ORM's
update and bulk insert cost more than the database spent running them
(measured with bench/onsale_profile.py; docs/architecture.md, "The on-sale hot path")."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.locks import lock_one, lock_rows
from core.sql import db_datetime, marks
from seating.models import (
    TRANSITIONS,
    GeneralAdmissionHold,
    HoldStatus,
    MatchSector,
    Seat,
    SeatAuditLog,
    SeatInventory,
    SeatStatus,
    SnakeConfig,
    Traversal,
)
from seating.selectors import status_summary_invalidate

BATCH = 2000
AUDIT_ROWS_PER_INSERT = 100  # 900 parameters: within SQLite's limit


def row_ranks(grid_rows: set[int], snake: SnakeConfig | None) -> dict[int, int]:
    """Rank each grid row: 0 = best row, then by distance from it; ties go to the row that
    comes first in the traversal direction."""
    best = snake.best_row_index if snake else min(grid_rows, default=0)
    bottom_up = bool(snake) and snake.traversal_direction == Traversal.BOTTOM_TO_TOP
    ordered = sorted(grid_rows, key=lambda r: (abs(r - best), -r if bottom_up else r))
    return {row: rank for rank, row in enumerate(ordered)}


def block_of(col: int, groups: list[dict]) -> int:
    """Index of the subsector whose column range holds `col` (0 when there are none)."""
    for index, group in enumerate(groups or []):
        if group["col_from"] <= col <= group["col_to"]:
            return index
    return 0


def inventory_build(*, match_sector: MatchSector) -> int:
    """Create the inventory rows of a numbered match sector (idempotent). Technical seats
    start as TECHNICAL, everything else AVAILABLE. Returns how many rows were created."""
    if not match_sector.is_numbered or match_sector.sector_id is None:
        return 0
    seats = list(Seat.objects.filter(sector_id=match_sector.sector_id)
                 .exclude(inventory__match_id=match_sector.match_id))
    if not seats:
        return 0
    snake = SnakeConfig.objects.filter(sector_id=match_sector.sector_id).first()
    ranks = row_ranks({s.grid_row for s in seats}, snake)
    groups = snake.subsector_grouping_json if snake else []
    rows = [
        SeatInventory(
            match_id=match_sector.match_id, match_sector=match_sector, seat=seat,
            row_label=seat.row_identifier, seat_number=seat.seat_number, grid_row=seat.grid_row,
            grid_col=seat.grid_col, row_rank=ranks[seat.grid_row],
            block=block_of(seat.grid_col, groups),
            status=SeatStatus.TECHNICAL if seat.seat_type == "TECHNICAL" else SeatStatus.AVAILABLE,
        )
        for seat in seats
    ]
    SeatInventory.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def inventory_rerank(*, match_sector: MatchSector) -> None:
    """Recompute row ranks and subsectors after the sector's snake config changed."""
    snake = SnakeConfig.objects.filter(sector_id=match_sector.sector_id).first()
    items = list(match_sector.inventory.only("id", "grid_row", "grid_col"))
    ranks = row_ranks({i.grid_row for i in items}, snake)
    groups = snake.subsector_grouping_json if snake else []
    for item in items:
        item.row_rank, item.block = ranks[item.grid_row], block_of(item.grid_col, groups)
    SeatInventory.objects.bulk_update(items, ["row_rank", "block"], batch_size=BATCH)


def effective_status(item: SeatInventory, now: datetime) -> str:
    """A RESERVED seat whose hold has expired is, for every purpose, its release status."""
    if item.status == SeatStatus.RESERVED and item.hold_expires_at and item.hold_expires_at <= now:
        return item.release_to
    return item.status


def is_held(item: SeatInventory, now: datetime) -> bool:
    return item.status == SeatStatus.RESERVED and effective_status(item, now) == SeatStatus.RESERVED


@dataclass
class TransitionResult:
    changed: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"id", "status", "reason"}
    held: list[int] = field(default_factory=list)  # changed although held in a cart


def seats_transition(*, inventory_ids: list[int], to_status: str, reason: str, actor=None,
                     from_statuses: set[str] | None = None, skip_held: bool = False,
                     hold_owner: str = "", hold_until: datetime | None = None, held_by=None,
                     release_to: str = SeatStatus.AVAILABLE, order_id: int | None = None,
                     ticket_id: int | None = None,
                     locked: list[SeatInventory] | None = None) -> TransitionResult:
    """Move seats to `to_status` where TRANSITIONS allows it (and, if given, only from
    `from_statuses`); others are skipped with the reason. Locks the rows in id order.

    `locked`: the rows of `inventory_ids`, already locked (id order) by the caller's open
    transaction with status, hold_expires_at, release_to and hold_owner read, so they are not
    read and locked a second time; the caller's transaction is then the only one needed."""
    result = TransitionResult()
    now = timezone.now()
    with transaction.atomic(savepoint=locked is None):
        items = locked if locked is not None else lock_rows(
            SeatInventory.objects.filter(id__in=inventory_ids)
            .only("id", "status", "hold_expires_at", "release_to", "hold_owner"))
        audit = []
        for item in items:
            current = effective_status(item, now)
            why = None
            if from_statuses and current not in from_statuses:
                why = f"is {current}, not {' or '.join(sorted(from_statuses))}"
            elif to_status not in TRANSITIONS[current]:
                why = f"cannot go from {current} to {to_status}"
            elif skip_held and is_held(item, now):
                why = f"is held ({item.hold_owner}) until {item.hold_expires_at:%H:%M:%S}"
            if why:
                result.skipped.append({"id": item.id, "status": current, "reason": why})
                continue
            if is_held(item, now):
                result.held.append(item.id)
            result.changed.append(item.id)
            audit.append([item.id, current, to_status, reason, _user_id(actor),
                          hold_owner or item.hold_owner, order_id, ticket_id])
        if result.changed:
            _seats_write(result.changed, to_status=to_status, actor=actor, now=now,
                         hold_owner=hold_owner if to_status != SeatStatus.AVAILABLE else "",
                         hold_until=hold_until, held_by=held_by, release_to=release_to)
            _seat_audit_insert(audit, now)
    return result


def _user_id(user) -> int | None:
    return user.pk if user is not None else None


def _seats_write(ids: list[int], *, to_status: str, actor, now: datetime, hold_owner: str,
                 hold_until: datetime | None, held_by, release_to: str) -> None:
    holding = to_status == SeatStatus.RESERVED
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE seating_seatinventory SET status = %s, version = version + 1,"
            " last_modified_by_id = %s, last_modified_at = %s, hold_owner = %s,"
            " hold_expires_at = %s, held_by_id = %s, release_to = %s"
            f" WHERE id IN ({marks(ids)})",
            [to_status, _user_id(actor), db_datetime(now), hold_owner,
             db_datetime(hold_until) if holding else None, _user_id(held_by) if holding else None,
             release_to if holding else SeatStatus.AVAILABLE, *ids])


def _seat_audit_insert(rows: list[list], now: datetime) -> None:
    """One SeatAuditLog row per changed seat: [inventory_id, from_status, to_status, reason,
    changed_by_id, hold_owner, order_id, ticket_id]."""
    created_at = db_datetime(now)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), AUDIT_ROWS_PER_INSERT):
            batch = rows[start:start + AUDIT_ROWS_PER_INSERT]
            cursor.execute(
                "INSERT INTO seating_seatauditlog (inventory_id, from_status, to_status, reason,"
                " changed_by_id, hold_owner, order_id, ticket_id, created_at) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch)),
                [value for row in batch for value in [*row, created_at]])


def holds_release_expired(*, match_sector_id: int | None = None, now: datetime | None = None,
                          limit: int = 5000) -> int:
    """Return expired holds to their release status, with audit rows. Called by the periodic
    sweep and, for one sector, at the start of every allocation in it."""
    now = now or timezone.now()
    expired = SeatInventory.objects.filter(status=SeatStatus.RESERVED, hold_expires_at__lte=now)
    if match_sector_id is not None:
        expired = expired.filter(match_sector_id=match_sector_id)
    with transaction.atomic(savepoint=False):
        items = lock_rows(expired.only("id", "release_to", "hold_owner", "match_id"),
                          skip_locked=True, limit=limit)
        if not items:
            return 0
        for release_to in {i.release_to for i in items}:
            ids = [i.id for i in items if i.release_to == release_to]
            SeatInventory.objects.filter(id__in=ids).update(
                status=release_to, version=F("version") + 1, last_modified_at=now,
                hold_owner="" if release_to == SeatStatus.AVAILABLE else F("hold_owner"),
                hold_expires_at=None, held_by=None, release_to=SeatStatus.AVAILABLE)
        SeatAuditLog.objects.bulk_create(
            [SeatAuditLog(inventory_id=i.id, from_status=SeatStatus.RESERVED,
                          to_status=i.release_to, reason="hold expired", hold_owner=i.hold_owner)
             for i in items], batch_size=BATCH)
        for match_id in {i.match_id for i in items}:
            transaction.on_commit(lambda m=match_id: status_summary_invalidate(m))
    return len(items)


def ga_holds_release_expired(*, now: datetime | None = None) -> int:
    """Mark expired general-admission holds RELEASED (they already stopped counting)."""
    return GeneralAdmissionHold.objects.filter(
        status=HoldStatus.HELD, expires_at__lte=now or timezone.now(),
    ).update(status=HoldStatus.RELEASED, updated_at=timezone.now())


def ga_places_release(*, hold_id: int, quantity: int) -> None:
    """Give `quantity` sold standing places of a hold back to the sector's capacity (a refunded
    or cancelled standing ticket): the hold shrinks, or is RELEASED when none is left."""
    hold = lock_one(GeneralAdmissionHold.objects.filter(pk=hold_id))
    if quantity >= hold.quantity:
        hold.status = HoldStatus.RELEASED
    else:
        hold.quantity -= quantity
    hold.save(update_fields=["status", "quantity", "updated_at"])
