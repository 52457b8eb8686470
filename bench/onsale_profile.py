"""Per-order cost of the fan sale, in-process (not a test, no server):

    .venv/bin/python bench/onsale_profile.py            # PROFILE_FANS=40 by default

The same fan flow as bench/onsale.py (join -> zones -> cart add -> checkout -> Stripe
webhook -> order), driven through Django's test Client inside this one process, so each step's
cost is the web worker's own: wall ms, CPU ms of this process (Python work), CPU ms of its
PostgreSQL backend (db ms, read from /proc: the server must run on this machine) and SQL
queries. Production-like settings (DEBUG off, PostgreSQL PROFILE_DB, default `ticketing_h5`,
Redis PROFILE_REDIS, default DB 8, as cache and Celery broker: tasks are published, nothing
consumes them, as a web worker would see it).

The match is seed_demo's Maksimir (34,947 seats), as bench/onsale.py sells: counting what is
available costs what it costs on a full stadium, which a toy match would hide. Fans join the
waiting room over the API (timed) and are admitted by `queue_admit` (Celery's job, untimed).
The first PROFILE_WARMUP flows are not counted; query counts come from a second, separate set
of flows (PROFILE_QUERY_FANS), because recording queries slows the timed ones."""

import hashlib
import io
import os
import secrets
import statistics
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import (  # noqa: E402
    host_speed,
    production_env,
    recreate_database,
    stripe_succeeded_event,
)

DB_NAME = os.environ.get("PROFILE_DB", "ticketing_h5")
REDIS_URL = os.environ.get("PROFILE_REDIS", "redis://127.0.0.1:6379/8")
FANS = int(os.environ.get("PROFILE_FANS", 40))
QUERY_FANS = int(os.environ.get("PROFILE_QUERY_FANS", 5))
WARMUP = int(os.environ.get("PROFILE_WARMUP", 3))
STEPS = ("join", "zones", "cart", "checkout", "webhook", "complete", "order")
WEBHOOK_SECRET = "whsec_profile_" + secrets.token_hex(16)


def environment() -> None:
    os.environ.update(production_env(
        db_name=DB_NAME, redis_url=REDIS_URL, cache_prefix="profile",
        sso_key_file=Path("/tmp/onsale-profile-sso.pem"), STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        PAYMENTS_PROVIDER="local", ALLOWED_HOSTS="testserver", DATABASE_CONN_MAX_AGE="3600"))


def setup(fan_count: int) -> tuple[int, list[dict]]:
    import logging

    import django

    from config.gc_tuning import gc_tune

    gc_tune()  # as the web workers do (config/wsgi.py)
    django.setup()
    logging.getLogger("audit").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.onsale import oib_make
    from core.pii import keyed_hash
    from queueing.models import QueueConfig
    from seating.models import Match, MatchType
    from ticketing.models import ApiSession, Profile, SavedProfile, User
    from ticketing.tokens import access_token_issue

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    match = Match.objects.get(competition__startswith="Demo:", match_type=MatchType.HOME)
    now = timezone.now()
    QueueConfig.objects.update_or_create(match=match, defaults={
        "is_active": True, "opens_at": now - timedelta(minutes=1),
        "admission_rate_per_minute": 100000, "max_open_windows": 100000, "window_minutes": 20})
    import random

    rng = random.Random(2026)
    taken: set[str] = set()
    users = User.objects.bulk_create([User(email=f"fan{i}@profile.example",
                                           drupal_user_id=f"profile-{i}", password="!")
                                      for i in range(fan_count)])
    quantities = [(2, 3, 4, 1)[i % 4] for i in range(fan_count)]
    Profile.objects.bulk_create([
        Profile(user=u, first_name="Navijač", last_name=f"Broj{i}",
                date_of_birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28), nationality="HR",
                oib=(o := oib_make(rng, taken)), oib_hash=keyed_hash(o), email=u.email,
                phone="+385911234567", address="Maksimirska 128", city="Zagreb",
                postal_code="10000") for i, u in enumerate(users)])
    SavedProfile.objects.bulk_create([
        SavedProfile(user=u, first_name="Prijatelj", last_name=f"{i}-{k}",
                     date_of_birth=date(1970 + k, 3, 4), nationality="HR",
                     oib=(o := oib_make(rng, taken)), oib_hash=keyed_hash(o),
                     relationship="friend")
        for i, (u, q) in enumerate(zip(users, quantities, strict=True)) for k in range(q - 1)])
    saved = defaultdict(list)
    for user_id, saved_id in SavedProfile.objects.values_list("user_id", "id").order_by("id"):
        saved[user_id].append(saved_id)
    sessions = ApiSession.objects.bulk_create([
        ApiSession(id=uuid.uuid4(), user=u, device_id="profile",
                   refresh_token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                   expires_at=now + timedelta(days=7)) for u in users])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return match.id, [{"token": access_token_issue(user_id=s.user_id, session_id=s.id),
                       "quantity": q, "saved": saved[s.user_id]}
                      for s, q in zip(sessions, quantities, strict=True)]


def database_cpu_ns() -> int:
    """CPU time so far of this process's PostgreSQL backend (same machine), in ns."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


class Flow:
    """One fan's purchase, step by step, recording wall ms, CPU ms and queries per step."""

    def __init__(self, match_id: int, count_queries: bool):
        from django.test import Client

        self.client = Client()
        self.match_id = match_id
        self.count_queries = count_queries
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.db: dict[str, list[float]] = defaultdict(list)
        self.queries: dict[str, list[int]] = defaultdict(list)
        self.statements: dict[str, list[str]] = {}

    def call(self, step: str, method: str, path: str, token: str | None = None,
             expect: int = 200, **kwargs):

        if token:
            kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        send = getattr(self.client, method)
        response = self.measure(step, lambda: send(path, **kwargs))
        if response.status_code != expect:
            raise SystemExit(f"{step}: {response.status_code} {response.content[:300]!r}")
        return response

    def measure(self, step: str, work):
        """Run `work()`, recording its wall ms, CPU ms, database CPU and queries as `step`."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        wall, cpu, db = time.perf_counter(), time.process_time(), database_cpu_ns()
        if self.count_queries:
            with CaptureQueriesContext(connection) as captured:
                result = work()
            self.queries[step].append(len(captured))
            if os.environ.get("PROFILE_SQL"):  # the last counted flow's statements, per step
                self.statements[step] = [q["sql"] for q in captured.captured_queries]
        else:
            result = work()
        self.wall[step].append((time.perf_counter() - wall) * 1000)
        self.cpu[step].append((time.process_time() - cpu) * 1000)
        self.db[step].append((database_cpu_ns() - db) / 1e6)
        return result

    def buy(self, fan: dict) -> None:
        from payments.models import Payment
        from payments.outcomes import payment_success_deliver

        token, match_id = fan["token"], self.match_id
        zones = self.call("zones", "get", f"/api/matches/{match_id}/zones").json()["zones"]
        zone = max(zones, key=lambda z: z["available"])
        cart = self.call("cart", "post", "/api/cart/add", token, expect=201,
                         content_type="application/json",
                         data={"match_id": match_id, "zone_id": zone["id"],
                               "quantity": fan["quantity"]}).json()
        holders = [{}] + [{"saved_profile_id": i} for i in fan["saved"][:fan["quantity"] - 1]]
        body = self.call("checkout", "post", "/api/checkout", token, expect=201,
                         content_type="application/json",
                         data={"cart_id": cart["id"], "holders": holders}).json()
        order = body["order"]
        payload, signature = stripe_succeeded_event(
            intent_id=body["payment"]["client_secret"].split("_secret_")[0], order=order,
            secret=WEBHOOK_SECRET)
        self.call("webhook", "post", "/api/webhooks/stripe", data=payload,
                  content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
        # What the Celery worker does next: the completion task (published, not consumed, here).
        payment_id = Payment.objects.get(reference=f"order:{order['id']}").pk
        self.measure("complete", lambda: payment_success_deliver(payment_id))
        done = self.call("order", "get", f"/api/orders/{order['id']}", token).json()
        if done["status"] != "COMPLETED" or len(done["tickets"]) != fan["quantity"]:
            raise SystemExit(f"order {order['id']} not completed: {done['status']}")


def admit_all(match_id: int, flows: list[tuple["Flow", list[dict]]]) -> None:
    """Fans join over the API (each flow times its fans' joins); admission is queue_tick's job
    in production (not timed here)."""
    from queueing.services import queue_admit
    from seating.models import Match

    for flow, fans in flows:
        for fan in fans:
            flow.call("join", "post", f"/api/queue/{match_id}/join", fan["token"])
    queue_admit(match=Match.objects.get(pk=match_id))


def main() -> None:
    environment()
    recreate_database(DB_NAME, REDIS_URL)
    started = time.perf_counter()
    match_id, fans = setup(WARMUP + FANS + QUERY_FANS)
    print(f"setup: match {match_id}, {len(fans)} fans ({time.perf_counter() - started:.0f} s); "
          f"{WARMUP} warm-up flows, {FANS} timed, {QUERY_FANS} counting queries")
    print(host_speed())

    warm = Flow(match_id, count_queries=False)
    timed = Flow(match_id, count_queries=False)
    counted = Flow(match_id, count_queries=True)
    admit_all(match_id, [(warm, fans[:WARMUP]), (timed, fans[WARMUP:WARMUP + FANS]),
                         (counted, fans[WARMUP + FANS:])])
    for fan in fans[:WARMUP]:
        warm.buy(fan)
    profiler = None
    if os.environ.get("PROFILE_CPROFILE"):  # a file for pstats: where the timed flows' CPU goes
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting
        profiler.enable()
    for fan in fans[WARMUP:WARMUP + FANS]:
        timed.buy(fan)
    if profiler:
        profiler.disable()
        profiler.dump_stats(os.environ["PROFILE_CPROFILE"])
    for fan in fans[WARMUP + FANS:]:
        counted.buy(fan)

    def mean(values) -> float:
        return statistics.fmean(values) if values else 0.0

    print(f"\n  {'step':<9} {'wall ms':>8} {'p50':>7} {'cpu ms':>8} {'db ms':>7} "
          f"{'queries':>8}")
    total = [0.0, 0.0, 0.0, 0.0]
    for step in STEPS:
        row = (mean(timed.wall[step]), mean(timed.cpu[step]), mean(timed.db[step]),
               mean(counted.queries[step]))
        total = [a + b for a, b in zip(total, row, strict=True)]
        print(f"  {step:<9} {row[0]:8.1f} {statistics.median(timed.wall[step]):7.1f} "
              f"{row[1]:8.1f} {row[2]:7.1f} {row[3]:8.1f}")
    for step, statements in counted.statements.items():
        print(f"\n--- {step}: {len(statements)} queries")
        for sql in statements:
            print("   ", sql[:400])
    print(f"  {'TOTAL':<9} {total[0]:8.1f} {'':>7} {total[1]:8.1f} {total[2]:7.1f} "
          f"{total[3]:8.1f}   (per complete order)")


if __name__ == "__main__":
    main()
