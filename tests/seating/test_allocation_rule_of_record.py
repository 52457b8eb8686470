"""One allocation rule, two implementations: the PL/pgSQL cascade (seating/sql/allocate_v1.sql),
which PostgreSQL runs, and the Python one (seating/services/allocation.py), which SQLite and
general-admission sectors run. On generated sectors (rectangles, ragged and curved rows,
aisles, holes, sold, technical, blocked and held seats, expired holds, subsectors, every row
strategy), a sequence of allocations of random sizes, many larger than a row, is run through
both on the same inventory: the same seats must come out, in the same order, or the same
refusal. The Python run is rolled back; the SQL run stays, so the sector fills up as it goes."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from seating.models import MatchSector, MatchSectorStatus, SeatInventory, SeatStatus
from seating.services.allocation import (
    Algorithm,
    Hold,
    _allocate_portable,
    _geometry,
    allocate,
)
from tests.seating.layouts import build_sector, picture_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SCENARIOS = 40
ALLOCATIONS_PER_SCENARIO = 12  # or until the second refusal


@pytest.fixture(autouse=True)
def _fresh_geometry():
    _geometry.cache_clear()


# --- generated inventory ----------------------------------------------------------------------

def random_picture(rng: random.Random) -> list[str]:
    """Rows of `X` free, `S` sold, `T` technical and `.` gaps, in one of a few stand shapes."""
    height, width = rng.randint(1, 10), rng.randint(3, 14)
    shape = rng.choice(["rectangle", "ragged", "curved", "aisles", "holes"])
    aisles = set(rng.sample(range(1, width - 1), k=min(2, width - 2))) if shape == "aisles" else ()
    sold = rng.choice([0, 0, 0.2, 0.5, 0.8])
    rows = []
    for r in range(height):
        start, end = 0, width
        if shape == "ragged":
            start, end = rng.randint(0, 2), rng.randint(max(3, width // 2), width)
        elif shape == "curved":
            indent = abs(r - height // 2)
            start, end = indent, max(indent + 1, width - indent)
        row = []
        for c in range(width):
            if not start <= c < end or c in aisles or (shape == "holes" and rng.random() < 0.15):
                row.append(".")
            else:
                row.append(rng.choices("XST", weights=(1 - sold, sold, 0.03))[0])
        rows.append("".join(row))
    if "X" not in "".join(rows):
        rows[0] = "X" + rows[0][1:]
    return rows


def random_groups(rng: random.Random, picture: list[str]) -> list[dict]:
    width = len(picture[0])
    if width < 6 or rng.random() < 0.7:
        return []
    cut = rng.randint(2, width - 2)
    return [{"name": "L", "col_from": 0, "col_to": cut - 1},
            {"name": "R", "col_from": cut, "col_to": width - 1}]


def take_out_of_sale(rng: random.Random, sector: MatchSector) -> None:
    """Some free seats blocked, some held (live, lapsed back to free, lapsed back to a quota)."""
    free = list(sector.inventory.filter(status=SeatStatus.AVAILABLE).values_list("id", flat=True))
    now = timezone.now()
    for item_id in rng.sample(free, k=len(free) // 5):
        kind = rng.choice(["blocked", "held", "lapsed", "lapsed_quota"])
        if kind == "blocked":
            changes = {"status": SeatStatus.BLOCKED}
        else:
            until = now + timedelta(minutes=10) if kind == "held" else now - timedelta(minutes=1)
            changes = {"status": SeatStatus.RESERVED, "hold_owner": f"cart:other{item_id}",
                       "hold_expires_at": until,
                       "release_to": SeatStatus.ALLOCATED if kind == "lapsed_quota"
                       else SeatStatus.AVAILABLE}
        SeatInventory.objects.filter(id=item_id).update(**changes)


def random_match(rng: random.Random, scenario: int) -> list[MatchSector]:
    sectors, match = [], None
    for index in range(rng.choice([1, 1, 2, 3])):
        picture = random_picture(rng)
        sector = build_sector(
            picture, match=match, code=f"R{scenario}-{index}",
            best_row=rng.randrange(len(picture)),
            traversal=rng.choice(["TOP_TO_BOTTOM", "BOTTOM_TO_TOP"]),
            strategy=rng.choice(["CENTER_OUTWARD", "CENTER_OUTWARD", "LEFT_TO_RIGHT",
                                 "RIGHT_TO_LEFT"]),
            groups=random_groups(rng, picture))
        match = sector.match
        take_out_of_sale(rng, sector)
        changes = {"display_order": rng.randint(0, 3)}
        if index and rng.random() < 0.15:
            changes["status"] = MatchSectorStatus.CLOSED
        MatchSector.objects.filter(id=sector.id).update(**changes)
        sectors.append(sector)
    return sectors


# --- running both -----------------------------------------------------------------------------

def outcome(run, *args, **kwargs) -> tuple:
    try:
        allocation = run(*args, **kwargs)
    except DomainError as refusal:
        return ("refused", refusal.code, refusal.detail, refusal.fields)
    return (allocation.match_sector_id, allocation.inventory_ids, allocation.seats,
            allocation.together, allocation.warning)


def kind_of(result: tuple, algorithm: str) -> str:
    if result[0] == "refused":
        return "refused"
    if algorithm == Algorithm.REDOM:
        return "sequential"
    return result[4] or "together"


def mismatch(sectors, request, python, sql) -> str:
    lines = [f"Python and SQL disagree on {request}", f"  Python: {python}", f"  SQL:    {sql}"]
    for sector in sectors:
        python_ids = set(python[1]) if python[0] == sector.id else set()
        sql_ids = set(sql[1]) if sql[0] == sector.id else set()
        lines.append(f"  sector {sector.id} (Python's seats #, then SQL's):")
        lines += [f"    {a}   {b}" for a, b in zip(picture_of(sector, python_ids),
                                                 picture_of(sector, sql_ids), strict=True)]
    return "\n".join(lines)


def test_python_and_sql_choose_the_same_seats_on_generated_sectors():
    seen = Counter()
    for scenario in range(SCENARIOS):
        rng = random.Random(scenario)
        sectors = random_match(rng, scenario)
        match = sectors[0].match
        width = max(len(row) for row in picture_of(sectors[0], set()))
        refusals = 0
        for step in range(ALLOCATIONS_PER_SCENARIO):
            quantity = rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6, width - 1, width + 1,
                                   2 * width])
            algorithm = Algorithm.REDOM if rng.random() < 0.15 else Algorithm.NM
            chosen = None if rng.random() < 0.3 else rng.sample(sectors, k=len(sectors))
            hold = (Hold(owner=f"quota:{scenario}-{step}", status=SeatStatus.ALLOCATED)
                    if rng.random() < 0.2 else
                    Hold(owner=f"cart:{scenario}-{step}",
                         until=timezone.now() + timedelta(minutes=20)))
            request = (f"scenario {scenario}, allocation {step}: {quantity} seats, {algorithm},"
                       f" sectors {[s.id for s in chosen] if chosen else 'all'}")

            with transaction.atomic():
                python = outcome(_allocate_portable, match, quantity, hold, chosen, algorithm)
                transaction.set_rollback(True)
            with transaction.atomic():
                sql = outcome(allocate, match=match, quantity=quantity, hold=hold,
                              sectors=chosen, algorithm=algorithm)
                if sql != python:
                    transaction.set_rollback(True)
            if sql != python:
                pytest.fail(mismatch(sectors, request, python, sql))
            kind = kind_of(sql, algorithm)
            seen[kind] += 1
            refusals += kind == "refused"
            if refusals == 2:
                break

    # the generator reaches every step of the cascade, and refusals
    assert set(seen) == {"together", "sequential", "refused",
                         "No row had enough seats together; the seats span two rows.",
                         "Not enough seats together; the seats are apart."}, seen
