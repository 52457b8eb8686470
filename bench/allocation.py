"""Allocation benchmark (not a test): snake best-available on a Maksimir-sized match.

    createdb -h 127.0.0.1 -U postgres ticketing_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ticketing_bench \
        .venv/bin/python bench/allocation.py

Builds (in the database DATABASE_URL names, which it migrates and overwrites) one match with
20 sectors of 1,750 seats (35,000 in all, aisles every 12 seats), then at 0 %, 50 %, 90 % and
99 % fill measures allocations of 1-4 seats: per second, p50/p99 latency, in one process and
with 8 concurrent worker processes; the share of multi-seat allocations seated together while
adjacent seats existed; and the orphan single seats the allocations created.

Fill is realistic rather than random: seats are sold from each sector's best rows outward, with
5 % of them scattered back as returns (the fragmentation a real on-sale leaves).
"""

import multiprocessing
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")  # PostgreSQL needs it said; DEBUG is set below

import django

django.setup()

from _setup import host_speed  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.errors import Conflict  # noqa: E402
from seating.models import (  # noqa: E402
    Match,
    MatchSector,
    MatchType,
    Seat,
    SeatAuditLog,
    SeatInventory,
    SeatStatus,
    Sector,
    SnakeConfig,
    Stadium,
)
from seating.services.allocation import Hold, allocate  # noqa: E402
from seating.services.inventory import inventory_build  # noqa: E402

SECTORS, ROWS, SEATS_PER_ROW, AISLE_EVERY = 20, 35, 50, 12
FILLS = tuple(float(f) for f in os.environ.get("BENCH_FILLS", "0,0.5,0.9,0.99").split(","))
SINGLE_RUNS, WORKERS, RUNS_PER_WORKER = 1000, 8, 250
TEAMS = {"home_team": "Hrvatska", "away_team": "Francuska"}
# Measure what production runs: with DEBUG on, Django copies every query into
# connection.queries (BENCH_DEBUG=1 keeps it on).
settings.DEBUG = bool(os.environ.get("BENCH_DEBUG"))


def audit_purge(logs) -> None:
    """Delete the bench's own seat audit rows, in its own database: the log is append-only (a
    trigger, seating 0005), so the purge runs as a replication session, which fires none."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        logs.delete()


def build_match() -> Match:
    """Only the bench's own match and stadium are replaced: the database may hold other
    benchmarks' data."""
    audit_purge(SeatAuditLog.objects.filter(inventory__match__in=Match.objects.filter(**TEAMS)))
    Match.objects.filter(**TEAMS).delete()
    Stadium.objects.filter(name="Bench Maksimir").delete()
    stadium = Stadium.objects.create(name="Bench Maksimir", city="Zagreb")
    match = Match.objects.create(**TEAMS, match_type=MatchType.HOME,
                                 kick_off_time=timezone.now() + timedelta(days=30))
    for index in range(SECTORS):
        sector = Sector.objects.create(stadium=stadium, name=f"S{index}", code=f"S{index}",
                                       capacity=ROWS * SEATS_PER_ROW)
        seats = []
        for row in range(ROWS):
            col = 0
            for number in range(1, SEATS_PER_ROW + 1):
                seats.append(Seat(sector=sector, row_identifier=str(row + 1),
                                  seat_number=number, grid_row=row, grid_col=col))
                col += 2 if number % AISLE_EVERY == 0 else 1  # an aisle after every 12 seats
        Seat.objects.bulk_create(seats, batch_size=5000)
        SnakeConfig.objects.create(sector=sector, best_row_index=ROWS // 3)
        match_sector = MatchSector.objects.create(
            match=match, sector=sector, name=sector.name, code=sector.code,
            total_capacity=len(seats), sellable_capacity=len(seats), display_order=index)
        inventory_build(match_sector=match_sector)
    return match


def fill(match: Match, share: float) -> None:
    """Sell `share` of every sector from the best rows outward; 5 % of those come back."""
    SeatInventory.objects.filter(match=match).update(
        status=SeatStatus.AVAILABLE, hold_owner="", hold_expires_at=None, held_by=None)
    audit_purge(SeatAuditLog.objects.filter(inventory__match=match))
    if not share:
        analyze()
        return
    rng = random.Random(7)
    sold = []
    for sector in MatchSector.objects.filter(match=match):
        ids = list(sector.inventory.order_by("row_rank", "grid_col").values_list("id", flat=True))
        taken = ids[: int(len(ids) * share)]
        sold += [i for i in taken if rng.random() > 0.05]
    for start in range(0, len(sold), 10000):
        SeatInventory.objects.filter(id__in=sold[start:start + 10000]).update(
            status=SeatStatus.SOLD)
    analyze()


def analyze() -> None:
    """Vacuum and fresh planner statistics after the bulk fill, as autovacuum gives a live
    system (a real on-sale reaches 90 % over hours): without the vacuum, every seat the fill
    sold leaves a dead entry in the available-seats index for the first allocations to step
    over. The audit log too: the fill deletes the previous run's rows, and autovacuum cleaning
    them up would otherwise compete with the timed run."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE seating_seatinventory, seating_seatauditlog")


def orphans(match: Match) -> int:
    """Free seats with no free neighbour in their row (aisles and taken seats both count)."""
    free = set(SeatInventory.objects.filter(match=match, status=SeatStatus.AVAILABLE)
               .values_list("match_sector_id", "grid_row", "grid_col"))
    return sum(1 for s, r, c in free if (s, r, c - 1) not in free and (s, r, c + 1) not in free)


_start = multiprocessing.get_context("fork").Barrier(WORKERS)


def run(count: int, seed: int, together_start: bool = False):
    """`count` allocations of 1-4 seats in random sectors: (seconds, quantity, ok, together)
    each, and when the timed loop started and ended. Before the clock starts, a worker
    connects and makes one untimed allocation (PostgreSQL plans the allocation function once
    per connection), then waits for the others: the figures are a steady state, as for a web
    worker with a persistent connection."""
    connection.close()
    rng = random.Random(seed)
    match = Match.objects.get(**TEAMS)
    sectors = list(MatchSector.objects.filter(match=match))
    until = timezone.now() + timedelta(minutes=20)
    allocate(match=match, sectors=[rng.choice(sectors)], quantity=1,
             hold=Hold(owner=f"bench:{seed}:warm-up", until=until))
    if together_start:
        _start.wait()
    started = time.time()
    results = []
    for n in range(count):
        quantity = rng.randint(1, 4)
        sector = rng.choice(sectors)
        began = time.perf_counter()
        try:
            allocation = allocate(match=match, sectors=[sector], quantity=quantity,
                                  hold=Hold(owner=f"bench:{seed}:{n}", until=until))
            ok, together = True, allocation.together
        except Conflict:
            ok, together = False, False
        results.append((time.perf_counter() - began, quantity, ok, together))
    ended = time.time()
    connection.close()
    return results, started, ended


def report(label: str, results, wall: float) -> None:
    done = [r for r in results if r[2]]
    latencies = sorted(r[0] * 1000 for r in done) or [0.0]
    multi = [r for r in done if r[1] > 1]
    together = sum(1 for r in multi if r[3]) / len(multi) * 100 if multi else 100.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"  {label:<12} {len(done) / wall:8.0f} alloc/s  p50 {statistics.median(latencies):6.2f}"
          f" ms  p99 {p99:6.2f} ms  together {together:5.1f} %  ({len(done)} ok,"
          f" {len(results) - len(done)} refused)")


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL (see the docstring).")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    match = Match.objects.filter(**TEAMS).first()
    if match is None or os.environ.get("BENCH_REBUILD"):
        match = build_match()
    seats = SeatInventory.objects.filter(match=match).count()
    print(f"{seats} seats in {SECTORS} sectors, ready in {time.perf_counter() - started:.1f} s")
    print(host_speed())
    for share in FILLS:
        print(f"\nFill {share:.0%}:")
        fill(match, share)
        before = orphans(match)
        # Ask for at most half the free seats (2.5 a group), so "together" is measured while
        # adjacent seats still exist rather than on an emptied sector.
        free = SeatInventory.objects.filter(match=match, status=SeatStatus.AVAILABLE).count()
        budget = int(free * 0.5 / 2.5)
        single, started, ended = run(min(SINGLE_RUNS, budget), seed=1)
        report("1 process", single, ended - started)

        fill(match, share)
        connection.close()  # the workers must not inherit (and then close) this connection
        with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
            per_worker = min(RUNS_PER_WORKER, budget // WORKERS)
            outcomes = pool.starmap(run, [(per_worker, seed, True)
                                          for seed in range(2, 2 + WORKERS)])
        parts = [results for results, _, _ in outcomes]
        wall = max(end for _, _, end in outcomes) - min(start for _, start, _ in outcomes)
        report(f"{WORKERS} workers", [r for part in parts for r in part], wall)
        seated = sum(r[1] for part in parts for r in part if r[2])
        print(f"  orphan single seats: {before} before, {orphans(match)} after the 8-worker run"
              f" ({seated} seats allocated)")


if __name__ == "__main__":
    main()
