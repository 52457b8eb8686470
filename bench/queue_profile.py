"""CPU per fan of the waiting room (not a test):

    .venv/bin/python bench/queue_profile.py      # PROFILE_DB=ticketing_h1, PROFILE_REDIS=…/9

Production-like settings and set-up as bench/onsale_profile.py (seed_demo's Maksimir, fans with
profiles and API sessions), then three measurements, each as CPU ms per fan, queries per fan
and the CPU of this process's PostgreSQL backend per fan (read from /proc):

1. join: QUEUE_PROFILE_FANS (250) fans `POST /api/queue/<id>/join` through Django's test Client,
   in this process.
2. WebSockets: a uvicorn (port QUEUE_PROFILE_PORT, 8191) serves config.asgi as in
   bench/onsale.py; every fan connects to ws/queue/<id>/?token=… from a separate client process
   and gets its snapshot; the uvicorn process's CPU for that, per fan.
3. admission: one `queue_tick` in this process admits QUEUE_PROFILE_ADMIT (150) fans (the cap
   on open windows), sends their admission messages through the Redis channel layer and their
   pushes, and pushes "almost at the front" to the next fans; this process's CPU (and its
   database backend's) per admitted fan, and uvicorn's CPU for delivering the messages.

Celery tasks are published to Redis and nobody consumes them, as the tick's worker sees it.
PROFILE_CPROFILE=/tmp/q dumps cProfiles of the joins and of the tick to /tmp/q.join and
/tmp/q.tick (read with pstats)."""

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PROFILE_DB", "ticketing_h1")
os.environ.setdefault("PROFILE_REDIS", "redis://127.0.0.1:6379/9")

FANS = int(os.environ.get("QUEUE_PROFILE_FANS", 250))
ADMIT = int(os.environ.get("QUEUE_PROFILE_ADMIT", 150))
PORT = int(os.environ.get("QUEUE_PROFILE_PORT", 8191))
HOST = "127.0.0.1"


def proc_cpu_ms(pid: int) -> float:
    """User + system CPU of a process so far, from /proc (children not included)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU of this process and of its database backend, and the queries sent, over a block."""

    def __init__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend_pid = cursor.fetchone()[0]
        self.queries = 0
        connection.execute_wrappers.append(self._count)

    def _count(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self.started = (time.process_time(), proc_cpu_ms(self.backend_pid), self.queries)
        return self

    def __exit__(self, *exc):
        cpu, db, queries = self.started
        self.cpu_ms = (time.process_time() - cpu) * 1000
        self.db_ms = proc_cpu_ms(self.backend_pid) - db
        self.query_count = self.queries - queries

    def line(self, what: str, per: int) -> str:
        return (f"  {what:<22} {self.cpu_ms / per:7.2f} cpu ms  {self.db_ms / per:6.2f} db ms  "
                f"{self.query_count / per:6.2f} queries   per fan ({per} fans)")


def start_uvicorn() -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "uvicorn"), "config.asgi:application", "--host", HOST,
         "--port", str(PORT), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "DATABASE_POOL_MAX_SIZE": "4",
                       "ALLOWED_HOSTS": f"{HOST},testserver"},
        start_new_session=True)
    import urllib.request

    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=2)
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("uvicorn did not start") from None
            time.sleep(0.3)


async def clients(url: str, tokens: list[str], expect_admitted: int) -> None:
    """The client process: connect every fan, say `ready` once each has its snapshot, say
    `done` once `expect_admitted` admission messages arrived, close when stdin closes."""
    from websockets.asyncio.client import connect

    admitted = asyncio.Event()
    count = 0

    # A few connecting at a time, as fans arrive: a burst of hundreds would exhaust the
    # server's Redis connection pool (channels_redis opens one per concurrent command).
    connecting = asyncio.Semaphore(10)

    async def fan(token: str, ready: asyncio.Event) -> None:
        nonlocal count
        async with connecting:
            ws = await connect(f"{url}?token={token}", origin=f"http://{HOST}:{PORT}",
                               ping_interval=None, close_timeout=1, open_timeout=60)
            json.loads(await ws.recv())
        ready.set()
        async with ws:
            async for message in ws:
                if json.loads(message).get("type") == "queue.admitted":
                    count += 1
                    if count == expect_admitted:
                        admitted.set()

    readies = [asyncio.Event() for _ in tokens]
    tasks = [asyncio.create_task(fan(t, r)) for t, r in zip(tokens, readies, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
    print("ready", flush=True)
    await asyncio.wait_for(admitted.wait(), 120)
    print("done", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for task in tasks:
        task.cancel()


def main() -> None:
    from _setup import recreate_database
    from onsale_profile import environment, setup

    environment()
    recreate_database(os.environ["PROFILE_DB"], os.environ["PROFILE_REDIS"])
    match_id, fans = setup(FANS)
    from django.test import Client

    from queueing import services
    from queueing.models import QueueConfig
    from queueing.tasks import queue_tick
    from seating.models import Match

    QueueConfig.objects.filter(match_id=match_id).update(max_open_windows=ADMIT)
    publish = getattr(services, "queue_admission_rate_publish", None)
    if publish:  # what the admission tick does every 5 s, for the estimates joins show
        publish(match=Match.objects.get(pk=match_id))
    meter = Meter()
    profiler = None
    if os.environ.get("PROFILE_CPROFILE"):
        import cProfile

        profiler = cProfile.Profile()
    dump = os.environ.get("PROFILE_CPROFILE")
    client = Client()
    client.get("/healthz")  # warm-up outside the measurement
    with meter:
        if profiler:
            profiler.enable()
        for fan in fans:
            response = client.post(f"/api/queue/{match_id}/join",
                                   HTTP_AUTHORIZATION=f"Bearer {fan['token']}")
            assert response.status_code == 200, response.content
        if profiler:
            profiler.disable()
            profiler.dump_stats(f"{dump}.join")
            profiler = cProfile.Profile()
    print(f"\n{FANS} fans joined, {ADMIT} to admit (match {match_id})")
    print(meter.line("join", FANS))

    server = start_uvicorn()
    try:
        uvicorn_started = proc_cpu_ms(server.pid)
        driver = subprocess.Popen(
            [sys.executable, __file__, "clients", f"ws://{HOST}:{PORT}/ws/queue/{match_id}/",
             str(ADMIT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        driver.stdin.write(json.dumps([f["token"] for f in fans]) + "\n")
        driver.stdin.flush()
        assert driver.stdout.readline().strip() == "ready"
        uvicorn_connected = proc_cpu_ms(server.pid)
        with meter:
            if profiler:
                profiler.enable()
            admitted = queue_tick()[match_id]
            if profiler:
                profiler.disable()
        line = driver.stdout.readline().strip()
        assert line == "done", line
        uvicorn_admitted = proc_cpu_ms(server.pid)
    finally:
        server.terminate()  # before the sockets close: 250 disconnects at once are not measured
        server.wait(timeout=15)
    driver.stdin.close()
    driver.wait(timeout=30)
    assert admitted == ADMIT, admitted
    print(meter.line("queue_tick (admission)", ADMIT))
    print(f"  {'uvicorn connect':<22} {(uvicorn_connected - uvicorn_started) / FANS:7.2f} cpu ms"
          f"   per fan ({FANS} sockets: token auth, snapshot)")
    print(f"  {'uvicorn admission':<22} {(uvicorn_admitted - uvicorn_connected) / ADMIT:7.2f} "
          f"cpu ms   per fan ({ADMIT} admission messages)")
    if profiler:
        profiler.dump_stats(f"{dump}.tick")


if __name__ == "__main__":
    if sys.argv[1:2] == ["clients"]:
        tokens = json.loads(sys.stdin.readline())
        asyncio.run(clients(sys.argv[2], tokens, int(sys.argv[3])))
    else:
        main()
