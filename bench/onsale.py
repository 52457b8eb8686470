"""On-sale benchmark (not a test): sell out a Maksimir match through the full fan HTTP flow.

    flock /tmp/bench.lock .venv/bin/python bench/onsale.py

What it does (everything it needs is generated; it touches only the `ticketing_bench` database,
which it drops and recreates, Redis DB 10 and ports 8101/8102):

1. Setup, not timed: throwaway production settings (DEBUG off, random SECRET_KEY, personal-data
   keys, an RSA key standing for the webshop's SSO key, a Stripe webhook secret), migrate,
   `seed_demo` (Maksimir, "Hrvatska v Italija", 34,947 seats), the match's waiting room
   (rate and cap from BENCH_RATE / BENCH_CAP), and BENCH_FANS fans with complete profiles,
   the saved profiles their extra tickets go to, an API session and an access token each,
   written in bulk straight to the database.
2. Serving as production does (DESIGN.md, "Serving, measured"): gunicorn with BENCH_WORKERS
   sync WSGI workers for HTTP, one uvicorn (ASGI, psycopg pool) process for the WebSockets,
   and a Celery worker with beat on Redis: admission is the production `queue_tick` every 5 s,
   and emails and pushes are real tasks (email through Django's dummy backend: the SMTP hand-off
   is all that is left out). Payments use the local provider for the PaymentIntent (no
   network), and the driver plays Stripe: it signs `payment_intent.succeeded` with the
   webhook secret and posts it to /api/webhooks/stripe.
3. The sale, timed: one asyncio process of simulated fans. BENCH_WAITING fans join at once,
   and a new fan arrives whenever one is admitted, so the waiting room stays that full until
   the seats run out. Each fan: POST join -> waits on the queue WebSocket for admission ->
   GET zones -> POST cart/add (1-4 tickets, another zone if theirs ran out) -> POST checkout
   with holders (self + saved profiles) -> webhook -> GET order (COMPLETED, tickets).
4. Verification straight in the database: SOLD seats vs valid tickets, seats with two valid
   tickets, tickets on seats that are not SOLD, orders' seats side by side, orphan seats left.

Knobs (environment): BENCH_WORKERS (3), BENCH_CAP (150 open windows), BENCH_RATE (20000
admissions/min, i.e. the cap decides), BENCH_WAITING (1000), BENCH_FANS (20000),
BENCH_CELERY (2 worker processes), BENCH_THINK (0 s between a fan's steps), BENCH_DURATION
(0: until sold out; else stop new arrivals after that many seconds, for quick comparisons).
"""

import asyncio
import contextlib
import hashlib
import io
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _http  # noqa: E402
from _setup import (  # noqa: E402
    PG_URL,
    host_speed,
    production_env,
    recreate_database,
    stripe_succeeded_event,
)

HOST, HTTP_PORT, WS_PORT = "127.0.0.1", 8101, 8102
DB_NAME = "ticketing_bench"
REDIS_URL = "redis://127.0.0.1:6379/10"
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/onsale-bench"))

WORKERS = int(os.environ.get("BENCH_WORKERS", 3))
CAP = int(os.environ.get("BENCH_CAP", 150))
RATE = int(os.environ.get("BENCH_RATE", 20000))
WAITING = int(os.environ.get("BENCH_WAITING", 1000))
FANS = int(os.environ.get("BENCH_FANS", 20000))
CELERY = int(os.environ.get("BENCH_CELERY", 2))
THINK = float(os.environ.get("BENCH_THINK", 0))
DURATION = float(os.environ.get("BENCH_DURATION", 0))  # stop arrivals after this (0: sell out)
QUANTITIES = {1: 15, 2: 45, 3: 15, 4: 25}  # share of fans wanting n tickets (mean 2.5)
STEPS = ("join", "admission", "zones", "cart", "checkout", "webhook", "order")
SEED = 2026


# --- 1. setup (not timed) ---------------------------------------------------------------------

def throwaway_env() -> dict:
    """Production settings with secrets made up for this run (settings refuse dev keys)."""
    return production_env(
        db_name=DB_NAME, redis_url=REDIS_URL, cache_prefix="onsale",
        sso_key_file=LOG_DIR / "sso-public.pem",
        STRIPE_WEBHOOK_SECRET="whsec_bench_" + secrets.token_hex(16), PAYMENTS_PROVIDER="local",
        ALLOWED_HOSTS=f"{HOST},localhost", ACCESS_TOKEN_MINUTES="120",
        # Persistent connections, as a production WSGI deployment keeps them (and so that the
        # backends' CPU is still there to count at the end of the sale).
        DATABASE_CONN_MAX_AGE="3600")


def oib_make(rng: random.Random, taken: set[str]) -> str:
    from stdnum.iso7064 import mod_11_10  # the OIB check digit

    while True:
        base = str(rng.randint(10**9, 10**10 - 1))
        number = base + mod_11_10.calc_check_digit(base)
        if number not in taken:
            taken.add(number)
            return number


def setup() -> dict:
    """Build the database; returns what the driver needs (no Django in the timed part)."""
    import logging

    import django

    django.setup()
    logging.getLogger("audit").setLevel(logging.WARNING)  # seed_demo's audit lines
    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    from core.pii import keyed_hash
    from queueing.models import QueueConfig
    from seating.models import Match, MatchType, SeatInventory
    from ticketing.models import ApiSession, Profile, SavedProfile, User
    from ticketing.tokens import access_token_issue

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    match = Match.objects.get(competition__startswith="Demo:", match_type=MatchType.HOME)
    seats = SeatInventory.objects.filter(match=match).count()
    now = timezone.now()
    QueueConfig.objects.update_or_create(match=match, defaults={
        "is_active": True, "opens_at": now - timedelta(minutes=1),
        "admission_rate_per_minute": RATE, "max_open_windows": CAP, "window_minutes": 20})

    rng = random.Random(SEED)
    taken: set[str] = set()
    users = User.objects.bulk_create(
        [User(email=f"fan{i}@bench.example", drupal_user_id=f"bench-{i}", password="!")
         for i in range(FANS)], batch_size=5000)
    quantities = rng.choices(list(QUANTITIES), weights=list(QUANTITIES.values()), k=FANS)
    Profile.objects.bulk_create([
        Profile(user=u, first_name="Navijač", last_name=f"Broj{i}",
                date_of_birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28), nationality="HR",
                oib=(o := oib_make(rng, taken)), oib_hash=keyed_hash(o), email=u.email,
                phone="+385911234567", address="Maksimirska 128", city="Zagreb",
                postal_code="10000")
        for i, u in enumerate(users)], batch_size=2000)
    saved = [SavedProfile(user=u, first_name="Prijatelj", last_name=f"{i}-{k}",
                          date_of_birth=date(1970 + k, 3, 4), nationality="HR",
                          oib=(o := oib_make(rng, taken)), oib_hash=keyed_hash(o),
                          relationship="friend")
             for i, (u, q) in enumerate(zip(users, quantities, strict=True))
             for k in range(q - 1)]
    SavedProfile.objects.bulk_create(saved, batch_size=2000)
    saved_ids = defaultdict(list)
    for user_id, saved_id in SavedProfile.objects.values_list("user_id", "id").order_by("id"):
        saved_ids[user_id].append(saved_id)
    sessions = [ApiSession(id=uuid.uuid4(), user=u, device_id="bench",
                           refresh_token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                           expires_at=now + timedelta(days=7)) for u in users]
    ApiSession.objects.bulk_create(sessions, batch_size=5000)
    fans = [{"token": access_token_issue(user_id=s.user_id, session_id=s.id), "quantity": q,
             "saved": saved_ids[s.user_id]} for s, q in zip(sessions, quantities, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connections.close_all()
    print(f"setup: {seats} seats at Maksimir (match {match.id}), {FANS} fans with profiles, "
          f"{len(saved)} saved profiles, tokens minted ({time.perf_counter() - started:.0f} s)")
    return {"match_id": match.id, "seats": seats, "fans": fans}


# --- 2. serving -------------------------------------------------------------------------------

def start_servers(env: dict) -> list[subprocess.Popen]:
    venv = ROOT / ".venv" / "bin"
    common = {**os.environ, **env}

    def spawn(name: str, args: list[str], extra: dict | None = None) -> subprocess.Popen:
        log = open(LOG_DIR / f"{name}.log", "w")  # noqa: SIM115 (lives as long as the process)
        return subprocess.Popen(args, cwd=ROOT, env={**common, **(extra or {})}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    return [
        spawn("gunicorn", [str(venv / "gunicorn"), "config.wsgi:application",
                           "--worker-class", "sync", "--workers", str(WORKERS),
                           "--bind", f"{HOST}:{HTTP_PORT}", "--backlog", "4096",
                           "--timeout", "300", "--graceful-timeout", "5"]),
        spawn("uvicorn", [str(venv / "uvicorn"), "config.asgi:application", "--host", HOST,
                          "--port", str(WS_PORT), "--no-access-log", "--log-level", "warning"],
              {"DATABASE_POOL_MAX_SIZE": "4"}),
        spawn("celery", [str(venv / "celery"), "-A", "config", "worker", "--beat",
                         "--concurrency", str(CELERY), "--loglevel", "WARNING",
                         "--schedule", str(LOG_DIR / "celerybeat-schedule")]),
    ]


def stop_servers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def wait_ready(match_id: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            zones = await _http.request(HOST, HTTP_PORT, "GET", f"/api/matches/{match_id}/zones")
            health = await _http.request(HOST, WS_PORT, "GET", "/healthz")
            if zones.status == 200 and health.status == 200:
                return
        except Exception:  # still starting
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"servers did not start; see {LOG_DIR}/*.log")
        await asyncio.sleep(0.5)


# --- CPU accounting (which process group used the 2 cores) ------------------------------------

def _proc_cpu() -> dict[int, tuple[int, str, float]]:
    """pid -> (ppid, name, cpu seconds) for every process."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        out[int(entry)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / ticks)
    return out


def cpu_by_group(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    snapshot = _proc_cpu()
    groups: dict[str, float] = Counter()
    # user nice system idle iowait irq softirq steal (guest time is inside user)
    busy = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    ticks = os.sysconf("SC_CLK_TCK")
    groups["machine"] = (sum(busy) - busy[3] - busy[4]) / ticks
    groups["kernel interrupts"] = (busy[5] + busy[6]) / ticks  # loopback TCP mostly
    groups["stolen by the hypervisor"] = busy[7] / ticks
    roots = {p.pid: name for name, p in processes.items()}
    for pid, (ppid, name, cpu) in snapshot.items():
        group = roots.get(pid) or roots.get(ppid)
        if group is None and name.startswith("postgres"):
            try:  # this database's backends and the server's own processes, not other DBs'
                title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            words = title.split()  # "postgres: 15/main: user dbname host(port) state"
            backend_of = words[3] if len(words) > 4 and "(" in words[4] else None
            if backend_of in (None, DB_NAME):
                group = "postgres"
        elif group is None and name.startswith("redis"):
            group = "redis"
        elif pid == os.getpid():
            group = "driver"
        if group:
            groups[group] += cpu
    return groups


# --- 3. the sale (timed) ----------------------------------------------------------------------

class Sale:
    def __init__(self, match_id: int, fans: list[dict], webhook_secret: str):
        self.match_id = match_id
        self.fans = iter(fans)
        self.secret = webhook_secret
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.outcomes: Counter = Counter()
        self.seats_sold = self.orders = self.requests = 0
        self.waiting = self.active = 0
        self.sold_out = asyncio.Event()
        self.tasks: set[asyncio.Task] = set()
        self.started = self.last_sale = 0.0
        self.rng = random.Random(SEED)
        self.db_samples: Counter = Counter()
        self.db_ticks = 0
        self.timed_out = False

    # plumbing
    async def call(self, step: str, method: str, path: str, token: str | None = None,
                   **kwargs) -> _http.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        response = await _http.request(HOST, HTTP_PORT, method, path, headers=headers, **kwargs)
        self.latency[step].append(time.perf_counter() - started)
        self.requests += 1
        return response

    def fail(self, step: str, response: _http.Response) -> None:
        try:
            code = (response.json() or {}).get("error", "")
        except ValueError:
            code = response.body[:60].decode(errors="replace")
        self.errors[f"{step} {response.status} {code}"] += 1

    def arrive(self) -> None:
        if self.sold_out.is_set():
            return
        if DURATION and time.perf_counter() - self.started > DURATION:
            self.timed_out = True
            self.sold_out.set()  # time is up: nobody new joins, those buying finish
            return
        fan = next(self.fans, None)
        if fan is None:
            return
        task = asyncio.create_task(self.fan(fan))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def think(self) -> None:
        if THINK:
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * THINK)

    # one fan
    async def fan(self, fan: dict) -> None:
        token, match_id = fan["token"], self.match_id
        self.waiting += 1
        admitted = False
        try:
            response = await self.call("join", "POST", f"/api/queue/{match_id}/join", token)
            if response.status != 200:
                self.fail("join", response)
                return
            started = time.perf_counter()
            if response.json()["status"] != "ADMITTED":
                await self.wait_for_admission(token)
            self.latency["admission"].append(time.perf_counter() - started)
            admitted = True
        finally:
            self.waiting -= 1
            if admitted:
                self.active += 1
            self.arrive()  # the next fan takes the freed place in the waiting room
        try:
            self.outcomes[await self.buy(fan)] += 1
        finally:
            self.active -= 1

    async def wait_for_admission(self, token: str) -> None:
        """The admission message on the queue WebSocket (polling status if the socket fails)."""
        from websockets.asyncio.client import connect

        url = f"ws://{HOST}:{WS_PORT}/ws/queue/{self.match_id}/?token={token}"
        try:
            # Channels' AllowedHostsOriginValidator refuses a socket without an Origin header
            # (what a native app sends by default), so the simulated app sends one.
            async with connect(url, origin=f"http://{HOST}:{WS_PORT}", open_timeout=60,
                               ping_interval=None, close_timeout=1) as ws:
                async for message in ws:
                    data = json.loads(message)
                    if data.get("status") == "ADMITTED" or data.get("type") == "queue.admitted":
                        return
                    if data.get("type") == "queue.error":
                        self.errors[f"ws {data.get('error')}"] += 1
                        break
        except Exception as exc:
            self.errors[f"ws {type(exc).__name__}"] += 1
        while True:
            await asyncio.sleep(3)
            response = await self.call("status", "GET", f"/api/queue/{self.match_id}/status",
                                       token)
            if response.status == 200 and response.json()["status"] == "ADMITTED":
                return

    def pick_zone(self, zones: list[dict], quantity: int) -> tuple[int | None, int]:
        fitting = [z for z in zones if z["available"] >= quantity]
        if not fitting:  # fewer seats left than wanted anywhere: take what is left
            quantity = max((z["available"] for z in zones), default=0)
            fitting = [z for z in zones if z["available"] >= quantity > 0]
        if not fitting:
            return None, 0
        zone = self.rng.choices(fitting, weights=[z["available"] for z in fitting])[0]
        return zone["id"], quantity

    async def buy(self, fan: dict) -> str:
        token, match_id = fan["token"], self.match_id
        await self.think()
        response = await self.call("zones", "GET", f"/api/matches/{match_id}/zones")
        zones = [{"id": z["id"], "available": z["available"]} for z in response.json()["zones"]]
        quantity = fan["quantity"]
        cart = None
        for _ in range(6):
            zone_id, quantity = self.pick_zone(zones, quantity)
            if zone_id is None:
                self.sold_out.set()
                await self.call("leave", "POST", f"/api/queue/{match_id}/leave", token)
                return "sold out"
            await self.think()
            response = await self.call("cart", "POST", "/api/cart/add", token, body={
                "match_id": match_id, "zone_id": zone_id, "quantity": quantity})
            if response.status == 201:
                cart = response.json()
                break
            self.fail("cart", response)
            if response.status != 409:
                return "cart refused"
            zones = [z for z in zones if z["id"] != zone_id]  # that zone ran out: next one
        if cart is None:
            return "no seats found"
        count = sum(item["quantity"] for item in cart["items"])
        holders = [{}] + [{"saved_profile_id": i} for i in fan["saved"][:count - 1]]
        await self.think()
        response = await self.call("checkout", "POST", "/api/checkout", token,
                                   body={"cart_id": cart["id"], "holders": holders})
        if response.status != 201:
            self.fail("checkout", response)
            return "checkout refused"
        body = response.json()
        order = body["order"]
        intent_id = body["payment"]["client_secret"].split("_secret_")[0]
        await self.think()
        payload, signature = stripe_succeeded_event(intent_id=intent_id, order=order,
                                                    secret=self.secret)
        response = await self.call("webhook", "POST", "/api/webhooks/stripe", raw=payload,
                                   headers={"Stripe-Signature": signature})
        if response.status != 200:
            self.fail("webhook", response)
            return "webhook refused"
        # The webhook records the payment; a Celery task completes the order just after, and
        # the app hears of it on ws/me. The simulated app asks until it is done (at most ~10 s).
        for attempt in range(20):
            response = await self.call("order", "GET", f"/api/orders/{order['id']}", token)
            body = response.json()
            if response.status != 200 or body["status"] != "PENDING_PAYMENT":
                break
            await asyncio.sleep(0.1 * 2 ** min(attempt, 3))
        order = body
        if response.status != 200 or order["status"] != "COMPLETED":
            self.errors[f"order {response.status} {order.get('status')}"] += 1
            return "not completed"
        self.seats_sold += len(order["tickets"])
        self.orders += 1
        self.last_sale = time.perf_counter()
        return "bought"

    # the whole sale
    async def sample_database(self) -> None:
        """Once a second: what the benchmark database's backends are doing (lock waits are
        the evidence when throughput stalls while the CPUs idle)."""
        import psycopg

        async with await psycopg.AsyncConnection.connect(f"{PG_URL}/{DB_NAME}",
                                                         autocommit=True) as conn:
            while True:
                cursor = await conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (DB_NAME,))
                for state, kind, event in await cursor.fetchall():
                    if state == "active":
                        self.db_samples[f"{kind}:{event}" if kind else "running"] += 1
                    elif state == "idle in transaction":
                        self.db_samples["idle in transaction"] += 1
                self.db_ticks += 1
                await asyncio.sleep(1)

    async def progress(self) -> None:
        last_requests, last = 0, time.perf_counter()
        while True:
            await asyncio.sleep(10)
            now = time.perf_counter()
            print(f"  {now - self.started:6.0f} s  sold {self.seats_sold:6d} seats "
                  f"{self.orders:6d} orders  waiting {self.waiting:5d}  buying {self.active:4d}"
                  f"  {(self.requests - last_requests) / (now - last):5.0f} req/s", flush=True)
            last_requests, last = self.requests, now

    async def remaining(self) -> int:
        response = await _http.request(HOST, HTTP_PORT, "GET",
                                       f"/api/matches/{self.match_id}/zones")
        return sum(z["available"] for z in response.json()["zones"])

    async def run(self) -> None:
        self.started = time.perf_counter()
        reporter = asyncio.create_task(self.progress())
        sampler = asyncio.create_task(self.sample_database())
        while True:
            for _ in range(WAITING):
                self.arrive()
            while not self.sold_out.is_set() and self.tasks:
                await asyncio.sleep(0.2)
            if not self.tasks:
                print("  no fans left before the seats ran out (raise BENCH_FANS)")
                break
            while self.active:
                await asyncio.sleep(0.2)  # fans already buying finish their purchase
            for task in list(self.tasks):
                task.cancel()  # those still waiting are told it is sold out
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if self.timed_out:
                break
            left = await self.remaining()
            if not left:
                break
            print(f"  {left} seats came back (a hold lapsed): the sale goes on")
            self.sold_out.clear()
        reporter.cancel()
        sampler.cancel()


# --- 4. verification in the database ------------------------------------------------------------

def verify(match_id: int) -> dict:
    from django.db import connection
    from django.db.models import Count

    from seating.models import SeatInventory, SeatStatus
    from ticketing.models import OrderItem, OrderStatus, Ticket, TicketStatus

    connection.close()
    inventory = SeatInventory.objects.filter(match_id=match_id)
    valid = Ticket.objects.filter(match_id=match_id, status=TicketStatus.VALID)
    doubles = (valid.exclude(inventory=None).values("inventory").annotate(n=Count("id"))
               .filter(n__gt=1).values_list("n", flat=True))
    on_unsold = valid.exclude(inventory__status=SeatStatus.SOLD).count()
    seats = {i: (s, r, c) for i, s, r, c in inventory.values_list(
        "id", "match_sector_id", "grid_row", "grid_col")}
    by_order = defaultdict(list)
    for order_id, inventory_id in OrderItem.objects.filter(
            order__match_id=match_id, order__status=OrderStatus.COMPLETED,
            inventory__isnull=False).values_list("order_id", "inventory_id"):
        by_order[order_id].append(seats[inventory_id])
    multi = [places for places in by_order.values() if len(places) > 1]
    apart = sum(1 for places in multi
                if len({(s, r) for s, r, _ in places}) > 1
                or max(c for *_, c in places) - min(c for *_, c in places) != len(places) - 1)
    # Seats on sale that nobody bought (quota-ALLOCATED and TECHNICAL seats are not on sale).
    free = set(inventory.filter(status__in=[SeatStatus.AVAILABLE, SeatStatus.RESERVED])
               .values_list("match_sector_id", "grid_row", "grid_col"))
    per_buyer = (OrderItem.objects.filter(order__match_id=match_id,
                                          order__status=OrderStatus.COMPLETED)
                 .values("order__buyer").annotate(n=Count("id")).order_by("-n")
                 .values_list("n", flat=True).first())
    return {
        "seats": len(seats),
        "sold": inventory.filter(status=SeatStatus.SOLD).count(),
        "tickets": valid.count(),
        "oversold": sum(n - 1 for n in doubles) + on_unsold,
        "sold_without_ticket": inventory.filter(status=SeatStatus.SOLD)
        .exclude(tickets__status=TicketStatus.VALID).count(),
        "orders": len(by_order),
        "multi": len(multi),
        "apart": apart,
        "unsold": len(free),
        "not_on_sale": inventory.exclude(
            status__in=[SeatStatus.AVAILABLE, SeatStatus.RESERVED, SeatStatus.SOLD]).count(),
        "orphans": sum(1 for s, r, c in free
                       if (s, r, c - 1) not in free and (s, r, c + 1) not in free),
        "max_per_buyer": per_buyer or 0,
    }


# --- report -------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def report(sale: Sale, checks: dict, cpu: dict[str, float]) -> None:
    elapsed = sale.last_sale - sale.started
    what = "Sold out" if not checks["unsold"] else f"NOT sold out ({checks['unsold']} left)"
    print(f"\n{what}: {sale.seats_sold} seats in {elapsed:.1f} s ({elapsed / 60:.2f} min), "
          f"{sale.orders} orders")
    print(f"  {sale.seats_sold / elapsed:8.1f} seats/s   {sale.orders / elapsed:6.1f} orders/s"
          f"   ({sale.orders / elapsed * 60:.0f} orders/min; {sale.requests} HTTP requests, "
          f"{sale.requests / elapsed:.0f}/s)")
    print(f"\n  {'step':<10} {'count':>7} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
    for step in (*STEPS, "status", "leave"):
        values = sale.latency.get(step)
        if values:
            print(f"  {step:<10} {len(values):7d} {statistics.median(values) * 1000:9.1f} "
                  f"{pct(values, 0.95):9.1f} {pct(values, 0.99):9.1f}")
    print("  (admission = join to the admission message on the WebSocket: time in the queue)")
    print(f"\n  fans: {dict(sale.outcomes)}")
    if sale.errors:
        print(f"  refusals/errors: {dict(sale.errors.most_common(12))}")
    together = checks["apart"] / checks["multi"] * 100 if checks["multi"] else 0.0
    print(f"\nDatabase check: {checks['sold']} of {checks['seats']} seats SOLD, "
          f"{checks['tickets']} valid tickets, {checks['orders']} completed orders")
    print(f"  oversold seats:             {checks['oversold']}  (must be 0)")
    print(f"  SOLD seats without ticket:  {checks['sold_without_ticket']}")
    print(f"  multi-seat orders apart:    {checks['apart']} of {checks['multi']} "
          f"({together:.2f} %)")
    print(f"  seats left unsold:          {checks['unsold']}, of which orphan singles "
          f"{checks['orphans']} (not on sale to fans: {checks['not_on_sale']})")
    print(f"  most tickets for one buyer: {checks['max_per_buyer']}")
    if sale.db_ticks:
        print("\nDatabase backends, average over the sale (active by wait event; 'running' = "
              "on CPU or in the kernel): " + ", ".join(
                  f"{k} {v / sale.db_ticks:.1f}" for k, v in sale.db_samples.most_common(8)))
    machine = cpu.pop("machine", 0.0)
    ours = sum(cpu.values())
    print(f"\nCPU seconds during the sale ({machine:.0f} s busy of {2 * elapsed:.0f} s on "
          "2 cores): "
          + ", ".join(f"{k} {v:.0f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]))
          + f", anything else on the machine {max(0.0, machine - ours):.0f}")
    if sale.orders:
        per_order = {k: v * 1000 / sale.orders for k, v in cpu.items()}
        print(f"CPU ms per order: {machine * 1000 / sale.orders:.0f} in all ("
              + ", ".join(f"{k} {v:.1f}" for k, v in
                          sorted(per_order.items(), key=lambda kv: -kv[1])) + ")")
    target = ("MET" if elapsed < 300 and not checks["unsold"] and checks["oversold"] == 0
              else "NOT met")
    print(f"\nTarget (35,000 seats in < 5 min, 0 oversold): {target}")


# --- main ---------------------------------------------------------------------------------------

def main() -> None:
    env = throwaway_env()
    os.environ.update(env)
    print(f"onsale: gunicorn {WORKERS} sync workers, uvicorn (WebSockets), Celery worker+beat "
          f"({CELERY}); queue cap {CAP} open windows, rate {RATE}/min; {WAITING} fans "
          f"waiting; think time {THINK} s")
    print(host_speed())
    recreate_database(DB_NAME, REDIS_URL)
    data = setup()
    processes = start_servers(env)
    named = dict(zip(("gunicorn", "uvicorn", "celery"), processes, strict=True))
    try:
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
        asyncio.run(wait_ready(data["match_id"]))
        sale = Sale(data["match_id"], data["fans"], env["STRIPE_WEBHOOK_SECRET"])
        cpu_before = cpu_by_group(named)
        print("sale open:")
        asyncio.run(sale.run())
        cpu_after = cpu_by_group(named)
    finally:
        stop_servers(processes)
    cpu = {k: cpu_after.get(k, 0) - cpu_before.get(k, 0) for k in cpu_after}
    report(sale, verify(data["match_id"]), cpu)
    print(host_speed())


if __name__ == "__main__":
    main()
