"""Choosing and holding seats: the one allocation service that carts, quotas and petrol
reservations go through.

    allocate(match=..., sectors=[...], quantity=3, algorithm=Algorithm.NM, hold=Hold(...))

Correctness: every allocation in a sector runs under that sector's row lock (SELECT ... FOR
UPDATE on the MatchSector, taken in id order when several sectors are candidates), so the
search and the write see the same seats. The write is still conditional (`status = AVAILABLE`)
because admin status changes do not take the sector lock; if one slips in between, the search
runs again. Expired holds in the sector are released first, so an expired hold is free for
every later allocation whether or not the periodic sweep has run.

Best available ("NM") follows the cascade the big ticketing engines use:
  1. N adjacent seats in one row, nearest the best row and (per the sector's row strategy) the
     centre, leaving no orphan single seat;
  2. the same, even if a single seat is orphaned;
  3. a block over two neighbouring rows;
  4. single seats in best-first order, with a warning.
Rows are read lazily in rank order (row_rank 0 = the best row), a few at a time, so a search
near the best row touches a handful of rows, not the sector.

Sequential ("REDOM") takes the first free seats in row and seat order. Non-numbered sectors
count capacity (GeneralAdmissionHold) with the same lock.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from django.db import connection, models, transaction
from django.db.models import F, Max, Min, Q, Sum
from django.utils import timezone

from core.errors import Conflict
from core.locks import lock_clause, lock_rows, lock_wait
from core.sql import marks
from seating.models import (
    GeneralAdmissionHold,
    HoldStatus,
    Match,
    MatchSector,
    MatchSectorStatus,
    RowStrategy,
    SeatAuditLog,
    SeatInventory,
    SeatStatus,
    SnakeConfig,
)
from seating.selectors import status_summary_invalidate
from seating.services.inventory import holds_release_expired

ROW_WINDOW = 4  # row ranks read per query
RACE_RETRIES = 3


class Algorithm(models.TextChoices):
    NM = "NM", "Best available (snake)"
    REDOM = "REDOM", "Sequential (in order)"


class NotEnoughSeats(Conflict):
    code = "not_enough_seats"


@dataclass(frozen=True)
class Hold:
    """Who takes the seats, as what, and until when. `status` RESERVED (carts, claims, petrol)
    needs `until`; ALLOCATED (quotas) does not expire. `release_to` is where an expired hold
    returns (ALLOCATED for a quota claim abandoned half-way)."""

    owner: str
    status: str = SeatStatus.RESERVED
    until: datetime | None = None
    user: object = None
    reason: str = "allocated"
    release_to: str = SeatStatus.AVAILABLE


@dataclass
class Allocation:
    match_sector_id: int
    quantity: int
    inventory_ids: list[int] = field(default_factory=list)
    seats: list[dict] = field(default_factory=list)  # {"id", "row", "seat"}
    together: bool = True
    warning: str = ""
    general_admission_hold_id: int | None = None


@dataclass(frozen=True)
class _Seat:
    id: int
    rank: int
    block: int
    col: int
    number: int
    row: str


# --- entry point ------------------------------------------------------------------------------

def allocate(*, match: Match, quantity: int, hold: Hold, sectors: list[MatchSector] | None = None,
             algorithm: str = Algorithm.NM) -> Allocation:
    if quantity < 1:
        raise Conflict("Ask for at least one seat.", code="invalid_quantity", field="quantity")
    if connection.vendor == "postgresql":
        allocation = _allocate_in_database(match, quantity, hold, sectors, algorithm)
        if allocation is not None:
            return allocation
        # the first candidate is a general-admission sector: the portable path counts it
    return _allocate_portable(match, quantity, hold, sectors, algorithm)


def _allocate_portable(match, quantity, hold, sectors, algorithm) -> Allocation:
    """SQLite, and general-admission sectors: the same steps as `seating_allocate`, in Python
    under the same sector lock (tests/seating/test_allocation_rule_of_record.py keeps the two
    choosing the same seats)."""
    for _ in range(RACE_RETRIES):
        try:
            with transaction.atomic():
                now = timezone.now()
                locked = _lock_sectors(match, sectors, now)
                ordered = [sector for sector, _ in locked]
                if not ordered[0].is_numbered:
                    allocation = _ga_allocate(ordered, quantity, hold)
                    transaction.on_commit(lambda: status_summary_invalidate(match.id))
                    return allocation
                for sector, has_expired in locked:
                    if has_expired:
                        holds_release_expired(match_sector_id=sector.id, now=now)
                allocation = _choose(ordered, quantity, algorithm)
                _take(allocation, hold)
                transaction.on_commit(lambda: status_summary_invalidate(match.id))
                return allocation
        except _LostRace:
            continue
    raise Conflict("Seats changed while we were choosing them; please try again.",
                   code="try_again")


_STEPS = {  # the step of the cascade that found the seats (seating/sql/allocate_v1.sql)
    0: (None, ""),  # sequential: together if the seats happen to be side by side
    1: (True, ""),
    3: (False, "No row had enough seats together; the seats span two rows."),
    4: (None, "Not enough seats together; the seats are apart."),
}


def _allocate_in_database(match, quantity, hold, sectors, algorithm) -> Allocation | None:
    """PostgreSQL: the whole allocation (lock, release expired holds, cascade, take, audit)
    is the server-side function `seating_allocate` (seating/sql/allocate_v1.sql), one round
    trip and, outside a caller's transaction, its own transaction. It reports rather than
    raises, so a refusal never aborts the caller's transaction. None means "general
    admission": the caller counts it."""
    ids = None if sectors is None else [s.id if isinstance(s, MatchSector) else s
                                        for s in sectors]
    user_id = getattr(hold.user, "pk", None)
    until = hold.until if hold.status == SeatStatus.RESERVED else None
    with lock_wait():  # the function locks the sectors, then the seats it takes
        rows = _sql("SELECT * FROM seating_allocate(%s, %s::bigint[], %s, %s, %s, %s, %s,"
                    " %s::timestamptz, %s, %s, %s)",
                    [match.id, ids, quantity, algorithm == Algorithm.REDOM, hold.status,
                     hold.owner, user_id, until, hold.release_to, hold.reason, timezone.now()])
    outcome, step, released = rows[0][:3]
    if outcome == "ok" or released:
        transaction.on_commit(lambda: status_summary_invalidate(match.id))
    if outcome == "ok":
        seats = [_Seat(*row[4:]) for row in rows]
        together, warning = _STEPS[step]
        return Allocation(
            match_sector_id=rows[0][3], quantity=len(seats),
            inventory_ids=[s.id for s in seats],
            seats=[{"id": s.id, "row": s.row, "seat": s.number} for s in seats],
            together=_adjacent(sorted(seats, key=lambda s: (s.rank, s.block, s.col)))
            if together is None else together, warning=warning)
    if outcome == "general_admission":
        return None
    if outcome == "no_sectors":
        raise NotEnoughSeats("None of the chosen sectors is on sale for this match.",
                             field="sectors")
    if outcome == "not_enough":
        raise NotEnoughSeats(
            f"Sorry, there are not {quantity} seats left in the chosen sectors.",
            field="quantity")
    raise Conflict("Seats changed while we were choosing them; please try again.",
                   code="try_again")


class _LostRace(Exception):
    """A seat we chose changed status (an admin action) before we took it."""


def _lock_sectors(match, sectors, now) -> list[tuple[MatchSector, bool]]:
    """The candidate sectors, locked in id order and returned in the caller's order, each with
    whether it has expired holds to release first (one statement)."""
    wanted = None
    query = ("SELECT s.id, s.is_numbered, s.display_order, s.sellable_capacity,"
             " EXISTS (SELECT 1 FROM seating_seatinventory i WHERE i.match_sector_id = s.id"
             "  AND i.status = %s AND i.hold_expires_at <= %s),"
             " (SELECT c.updated_at FROM seating_snakeconfig c WHERE c.sector_id = s.sector_id)"
             " FROM seating_matchsector s WHERE s.match_id = %s AND s.status = %s")
    params = [SeatStatus.RESERVED, now, match.id, MatchSectorStatus.ACTIVE]
    if sectors is not None:
        wanted = [s.id if isinstance(s, MatchSector) else s for s in sectors]
        query += f" AND s.id IN ({marks(wanted)})"
        params += wanted
    query += " ORDER BY s.id" + lock_clause("s")
    locked = {}
    with lock_wait():
        rows = _sql(query, params)
    for row in rows:
        sector = MatchSector(id=row[0], match_id=match.id, is_numbered=row[1],
                             display_order=row[2], sellable_capacity=row[3])
        sector.layout_version = row[5]  # the snake config's updated_at: see _geometry
        locked[row[0]] = (sector, row[4])
    order = wanted if wanted is not None else sorted(
        locked, key=lambda i: (locked[i][0].display_order, i))
    found = [locked[i] for i in order if i in locked]
    if not found:
        raise NotEnoughSeats("None of the chosen sectors is on sale for this match.",
                             field="sectors")
    return found


def _sql(query: str, params: list) -> list[tuple]:
    """The hot path speaks plain SQL (portable between PostgreSQL and SQLite): building ORM
    queries cost more than running them (measured with bench/onsale_profile.py)."""
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _choose(sectors: list[MatchSector], quantity: int, algorithm: str) -> Allocation:
    if algorithm == Algorithm.REDOM:
        return _sequential(sectors, quantity)
    fallbacks = []
    for sector in sectors:
        no_orphan, any_block = _best_rows(sector, quantity)
        if no_orphan:
            return _result(sector, no_orphan, together=True)
        fallbacks.append((sector, any_block))
    for sector, any_block in fallbacks:
        if any_block:
            return _result(sector, any_block, together=True)
    for sector in sectors:
        found = _step_two_rows(sector, quantity)
        if found:
            return _result(sector, found, together=False,
                           warning="No row had enough seats together; the seats span two rows.")
    for sector in sectors:
        found = _step_singles(sector, quantity)
        if found:
            return _result(sector, found, together=_adjacent(found),
                           warning="Not enough seats together; the seats are apart.")
    raise NotEnoughSeats(f"Sorry, there are not {quantity} seats left in the chosen sectors.",
                         field="quantity")


_TAKE = ("UPDATE seating_seatinventory SET status = %s, hold_owner = %s, held_by_id = %s,"
         " hold_expires_at = %s, release_to = %s, version = version + 1, last_modified_at = %s"
         " WHERE id IN ({ids}) AND status = %s")
_AUDIT_COLUMNS = ("seating_seatauditlog (inventory_id, from_status, to_status, reason,"
                  " changed_by_id, hold_owner, created_at)")


def _take(allocation: Allocation, hold: Hold) -> None:
    """Hold the chosen seats if they are all still available, else raise _LostRace (which
    rolls the whole attempt back), and write their audit rows. On PostgreSQL that is one
    statement (a data-modifying CTE); SQLite needs two."""
    now = timezone.now()
    ids = allocation.inventory_ids
    user_id = getattr(hold.user, "pk", None)
    until = hold.until if hold.status == SeatStatus.RESERVED else None
    update = _TAKE.format(ids=marks(ids))
    params = [hold.status, hold.owner, user_id, until, hold.release_to, now, *ids,
              SeatStatus.AVAILABLE]
    audit = [SeatStatus.AVAILABLE, hold.status, hold.reason, user_id, hold.owner, now]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH taken AS ({update} RETURNING id) INSERT INTO {_AUDIT_COLUMNS}"
                           " SELECT id, %s, %s, %s, %s, %s, %s FROM taken", params + audit)
            if cursor.rowcount != len(ids):
                raise _LostRace
            return
        cursor.execute(update, params)
        if cursor.rowcount != len(ids):
            raise _LostRace
        cursor.execute(f"INSERT INTO {_AUDIT_COLUMNS} VALUES "
                       + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(ids)),
                       [value for i in ids for value in (i, *audit)])


def _result(sector, seats: list[_Seat], *, together: bool, warning: str = "") -> Allocation:
    return Allocation(
        match_sector_id=sector.id, quantity=len(seats), inventory_ids=[s.id for s in seats],
        seats=[{"id": s.id, "row": s.row, "seat": s.number} for s in seats],
        together=together, warning=warning)


# --- reading rows lazily ----------------------------------------------------------------------

def _logical_rows(sector_id: int, min_free: int = 1):
    """Yield (rank, block, seats sorted by column) in best-first order, for the ranks that have
    at least `min_free` free seats: ROW_WINDOW such ranks per query (twice as many each time).
    The grouping walks the partial index inventory_available_by_rank in order and stops at the
    LIMIT, so sold-out and sparse rows cost an index entry each, not a round trip."""
    rank, window = 0, ROW_WINDOW
    while True:
        seats = [_Seat(*row) for row in _sql(
            "WITH ranks AS (SELECT row_rank FROM seating_seatinventory"
            "  WHERE match_sector_id = %s AND status = %s AND row_rank >= %s"
            "  GROUP BY row_rank HAVING COUNT(*) >= %s ORDER BY row_rank LIMIT %s)"
            " SELECT i.id, i.row_rank, i.block, i.grid_col, i.seat_number, i.row_label"
            " FROM seating_seatinventory i JOIN ranks r ON i.row_rank = r.row_rank"
            " WHERE i.match_sector_id = %s AND i.status = %s",
            [sector_id, SeatStatus.AVAILABLE, rank, min_free, window, sector_id,
             SeatStatus.AVAILABLE])]
        if not seats:
            return
        grouped = defaultdict(list)
        for seat in seats:
            grouped[(seat.rank, seat.block)].append(seat)
        for key in sorted(grouped):
            yield key[0], key[1], sorted(grouped[key], key=lambda s: s.col)
        rank = max(s.rank for s in seats) + 1
        window *= 2


def _runs(seats: list[_Seat]) -> list[list[_Seat]]:
    """Maximal runs of side-by-side free seats (an aisle or a taken seat breaks a run)."""
    runs: list[list[_Seat]] = []
    for seat in seats:
        if runs and seat.col == runs[-1][-1].col + 1:
            runs[-1].append(seat)
        else:
            runs.append([seat])
    return runs


@lru_cache(maxsize=512)
def _geometry(sector_id: int, layout_version) -> tuple[dict, str]:
    """Centre column of each logical row (its full physical extent) and the row strategy,
    cached per process. A snake-config change re-ranks the rows, so the cache is keyed by the
    config's updated_at as well."""
    spans = (SeatInventory.objects.filter(match_sector_id=sector_id)
             .values("row_rank", "block").annotate(lo=Min("grid_col"), hi=Max("grid_col")))
    centres = {(s["row_rank"], s["block"]): (s["lo"] + s["hi"]) / 2 for s in spans}
    snake = SnakeConfig.objects.filter(sector__match_sectors__id=sector_id).first()
    return centres, snake.within_row_strategy if snake else RowStrategy.CENTER_OUTWARD


def _preference(sector, rank: int, block: int, first_col: int, n: int) -> float:
    centres, strategy = _geometry(sector.id, getattr(sector, "layout_version", None))
    if strategy == RowStrategy.LEFT_TO_RIGHT:
        return first_col
    if strategy == RowStrategy.RIGHT_TO_LEFT:
        return -first_col
    return abs(first_col + (n - 1) / 2 - centres.get((rank, block), first_col))


def _best_in_row(sector, rank, block, seats, n, *, allow_orphan) -> list[_Seat] | None:
    best, best_score = None, None
    for run in _runs(seats):
        for offset in range(len(run) - n + 1):
            left, right = offset, len(run) - offset - n
            if not allow_orphan and (left == 1 or right == 1):
                continue
            score = _preference(sector, rank, block, run[offset].col, n)
            if best_score is None or score < best_score:
                best, best_score = run[offset:offset + n], score
    return best


# --- the cascade ------------------------------------------------------------------------------

def _best_rows(sector, n) -> tuple[list[_Seat] | None, list[_Seat] | None]:
    """Steps 1 and 2 in one pass over the rows, best row first: the first block that leaves
    no orphan, and the first block at all (the fallback)."""
    fallback = None
    for rank, block, seats in _logical_rows(sector.id, min_free=n):
        if len(seats) < n:
            continue
        found = _best_in_row(sector, rank, block, seats, n, allow_orphan=False)
        if found:
            return found, fallback or found
        fallback = fallback or _best_in_row(sector, rank, block, seats, n, allow_orphan=True)
    return None, fallback


def _step_two_rows(sector, n):
    """The longest run of a row plus the closest seats of a physically neighbouring row."""
    rows = {(seats[0].rank, block): seats for _, block, seats in _logical_rows(sector.id)}
    grid_row_of = dict(SeatInventory.objects.filter(match_sector_id=sector.id)
                       .values_list("row_rank", "grid_row").distinct())
    for (rank, block), seats in sorted(rows.items()):
        run = max(_runs(seats), key=len)
        for other_rank, other_seats in ((r, s) for (r, b), s in rows.items() if b == block):
            if abs(grid_row_of[other_rank] - grid_row_of[rank]) != 1:
                continue
            need = n - len(run)
            other_run = max(_runs(other_seats), key=len)
            if 0 < need <= len(other_run):
                # the stretch of the other row nearest the first run's columns
                anchor = run[0].col
                start = min(range(len(other_run) - need + 1),
                            key=lambda i: abs(other_run[i].col - anchor))
                return run + other_run[start:start + need]
    return None


def _step_singles(sector, n):
    picked: list[_Seat] = []
    for _, _, seats in _logical_rows(sector.id):
        picked.extend(seats[: n - len(picked)])
        if len(picked) == n:
            return picked
    return None


def _adjacent(seats: list[_Seat]) -> bool:
    return all(a.rank == b.rank and a.block == b.block and b.col == a.col + 1
               for a, b in itertools.pairwise(seats))


def _sequential(sectors, n) -> Allocation:
    for sector in sectors:
        rows = (SeatInventory.objects
                .filter(match_sector_id=sector.id, status=SeatStatus.AVAILABLE)
                .order_by("grid_row", "seat_number")
                .values_list("id", "row_rank", "block", "grid_col", "seat_number", "row_label")
                [:n])
        seats = [_Seat(*r) for r in rows]
        if len(seats) == n:
            by_col = sorted(seats, key=lambda s: (s.rank, s.block, s.col))
            return _result(sector, seats, together=_adjacent(by_col))
    raise NotEnoughSeats(f"Sorry, there are not {n} seats left in the chosen sectors.",
                         field="quantity")


# --- non-numbered sectors ---------------------------------------------------------------------

def ga_available(sector: MatchSector, now: datetime | None = None) -> int:
    now = now or timezone.now()
    live = Q(status__in=[HoldStatus.ALLOCATED, HoldStatus.SOLD]) | Q(
        status=HoldStatus.HELD) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    taken = sector.ga_holds.filter(live).aggregate(n=Sum("quantity"))["n"] or 0
    return sector.sellable_capacity - taken


def _ga_allocate(sectors, n, hold: Hold) -> Allocation:
    status = HoldStatus.ALLOCATED if hold.status == SeatStatus.ALLOCATED else HoldStatus.HELD
    for sector in sectors:
        if ga_available(sector) >= n:
            taken = GeneralAdmissionHold.objects.create(
                match_sector=sector, quantity=n, owner=hold.owner,
                user=hold.user if getattr(hold.user, "pk", None) else None, status=status,
                expires_at=hold.until if status == HoldStatus.HELD else None)
            return Allocation(match_sector_id=sector.id, quantity=n, together=True,
                              general_admission_hold_id=taken.id)
    raise NotEnoughSeats(f"Sorry, there are not {n} places left in the chosen sectors.",
                         field="quantity")


# --- releasing --------------------------------------------------------------------------------

def holds_release(*, owner: str, reason: str = "released", actor=None) -> int:
    """Give back everything `owner` holds (RESERVED seats to their release status, HELD
    general-admission places). Returns the number of seats/places released."""
    now = timezone.now()
    with transaction.atomic():
        items = lock_rows(SeatInventory.objects.filter(hold_owner=owner,
                                                       status=SeatStatus.RESERVED)
                          .only("id", "release_to", "match_id"))
        for release_to in {i.release_to for i in items}:
            ids = [i.id for i in items if i.release_to == release_to]
            SeatInventory.objects.filter(id__in=ids).update(
                status=release_to, version=F("version") + 1, last_modified_at=now,
                hold_owner="" if release_to == SeatStatus.AVAILABLE else owner,
                hold_expires_at=None, held_by=None, release_to=SeatStatus.AVAILABLE)
        SeatAuditLog.objects.bulk_create([
            SeatAuditLog(inventory_id=i.id, from_status=SeatStatus.RESERVED,
                         to_status=i.release_to, reason=reason, hold_owner=owner,
                         changed_by=actor) for i in items])
        places = GeneralAdmissionHold.objects.filter(owner=owner, status=HoldStatus.HELD)
        released_places = dict(places.order_by().values_list("match_sector__match_id")
                               .annotate(n=Sum("quantity")))
        places.update(status=HoldStatus.RELEASED, updated_at=now)
        for match_id in {i.match_id for i in items} | set(released_places):
            transaction.on_commit(lambda m=match_id: status_summary_invalidate(m))
    return len(items) + sum(released_places.values())
