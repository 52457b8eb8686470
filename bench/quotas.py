"""Quota benchmark (not a test): quota creation and the CSV import on Maksimir-sized matches.

    flock /tmp/bench.lock .venv/bin/python bench/quotas.py

Setup, not timed: drops and recreates the `ticketing_bench` database (PostgreSQL on
127.0.0.1:5432) and flushes Redis DB 10, runs with production settings (DEBUG off, throwaway
keys), seeds the stadium templates and builds five HOME matches at Stadion Maksimir (the demo's
copy-the-template, price and go-on-sale path, ~35,000 seats each).

Timed, through the services the API calls:
1. `quota_create` of a 500-seat quota (NM, best available) in a 35,000-seat match, five times
   in different stands; target under 1 s each.
2. `quotas_import` of a 50-line CSV (1-10 seats a line, mixed sectors and options) for all five
   matches: 250 quotas in one transaction; target under 10 s.
Then checks that every quota got its seats and nothing was allocated twice.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import production_env, recreate_database  # noqa: E402

DB_NAME = "ticketing_bench"
REDIS_URL = "redis://127.0.0.1:6379/10"
MATCHES = 5
QUOTA_SEATS, QUOTA_RUNS = 500, 5
IMPORT_LINES = 50


def environment() -> None:
    os.environ.update(production_env(db_name=DB_NAME, redis_url=REDIS_URL,
                                     cache_prefix="bench-quotas",
                                     sso_key_file=Path("/tmp/bench-quotas-sso.pem")))


def build_matches():
    """Five on-sale HOME matches at Maksimir, as the demo builds its match."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from seating import demo
    from seating.models import MatchType
    from seating.services import match_config, matches
    from seating.stadium_templates import seed_stadium_templates

    call_command("migrate", verbosity=0)
    maksimir = next(s for s in seed_stadium_templates() if s.city == "Zagreb")
    built = []
    for n in range(MATCHES):
        match = matches.match_create(
            actor=None, home_team="Hrvatska", away_team=f"Bench opponent {n + 1}",
            competition="Bench: quotas", kick_off_time=timezone.now() + timedelta(days=20 + n),
            match_type=MatchType.HOME, venue_id=maksimir.id, is_numbered=True)
        match_config.match_stadium_copy_template(match_id=match.id, actor=None,
                                                 stadium_template_id=maksimir.id)
        demo._go_on_sale(match, prices={
            s.code: (demo.CATEGORY_NAMES[demo._price_key(s.code)],
                     demo.HOME_PRICES[demo._price_key(s.code)]) for s in match.sectors.all()})
        built.append(match)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return built


def bench_create(match, actor) -> list[float]:
    from quotas.services.creation import QuotaRequest, quota_create

    times = []
    for n, codes in enumerate((["Z4"], ["I4"], ["S2", "S3"], ["J2"], ["Z5", "Z6"])[:QUOTA_RUNS]):
        request = QuotaRequest(recipient_email=f"sponsor{n}@bench.hr", quantity=QUOTA_SEATS,
                               match_id=match.pk, sector_codes=codes, algorithm="NM")
        started = time.perf_counter()
        created = quota_create(actor=actor, request=request)
        times.append(time.perf_counter() - started)
        assert created.quota.seats.count() == QUOTA_SEATS
    return times


def import_csv(sector_codes: list[str]) -> bytes:
    rng = random.Random(5)
    lines = ["email;sectors;quantity;recipient_name;discount_code;algorithm;expires_at;"
             "can_create_subquotas;deferred_payment"]
    for n in range(IMPORT_LINES):
        codes = "|".join(rng.sample(sector_codes, rng.choice((1, 1, 2))))
        lines.append(";".join([
            f"partner{n}@bench.hr", codes, str(rng.randint(1, 10)), f"Partner {n}",
            rng.choice(("", "", "GR")), rng.choice(("NM", "NM", "REDOM")), "30.09.2030",
            rng.choice(("da", "ne")), rng.choice(("0", "1"))]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    environment()
    recreate_database(DB_NAME, REDIS_URL)
    import django

    django.setup()
    import logging

    logging.getLogger("audit").setLevel(logging.WARNING)
    from django.contrib.auth import get_user_model

    from quotas.models import QuotaSeat
    from quotas.services.imports import quotas_import
    from seating.models import SeatInventory, SeatStatus

    started = time.perf_counter()
    matches = build_matches()
    seats = SeatInventory.objects.filter(match=matches[0]).count()
    actor = get_user_model().objects.create_user(email="quotas@bench.hr", is_staff=True)
    print(f"Setup: {MATCHES} matches of {seats:,} seats at Maksimir in "
          f"{time.perf_counter() - started:.1f} s")

    times = bench_create(matches[0], actor)
    print(f"\n1. quota_create, {QUOTA_SEATS} seats in a {seats:,}-seat match (target < 1 s):")
    print("   " + ", ".join(f"{t:.3f} s" for t in times)
          + f"  (median {statistics.median(times):.3f} s, max {max(times):.3f} s)")

    codes = sorted({s.code for s in matches[0].sectors.all() if s.code[0] in "ZISJ"})
    content = import_csv(codes)
    started = time.perf_counter()
    outcome = quotas_import(actor=actor, file_name="bench.csv", content=content,
                            match_ids=[m.pk for m in matches])
    elapsed = time.perf_counter() - started
    wanted = sum(int(line.split(";")[2]) for line in content.decode("utf-8-sig").split("\r\n")[
        1:] if line)
    print(f"\n2. quotas_import, {IMPORT_LINES} lines x {MATCHES} matches (target < 10 s):")
    print(f"   {elapsed:.2f} s for {len(outcome.quota_ids)} quotas "
          f"({elapsed / max(len(outcome.quota_ids), 1) * 1000:.0f} ms a quota), "
          f"{outcome.failed_rows} failed lines, {wanted * MATCHES:,} seats allocated")

    allocated = QuotaSeat.objects.filter(quota__batch=outcome.batch).count()
    doubled = (QuotaSeat.objects.exclude(inventory=None).values("inventory")
               .order_by().annotate(n=django.db.models.Count("id")).filter(n__gt=1).count())
    held = SeatInventory.objects.filter(status=SeatStatus.ALLOCATED).count()
    print(f"\nCheck: {allocated:,} quota seats in the batch (expected {wanted * MATCHES:,}), "
          f"{held:,} inventory seats ALLOCATED (expected "
          f"{wanted * MATCHES + QUOTA_SEATS * len(times):,}), {doubled} seats in two quotas")
    ok = (max(times) < 1 and elapsed < 10 and allocated == wanted * MATCHES and not doubled
          and outcome.failed_rows == 0)
    print("OK" if ok else "TARGET MISSED")


if __name__ == "__main__":
    main()
