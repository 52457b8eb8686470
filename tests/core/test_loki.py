"""Audit events shipped to Grafana Loki through the Redis buffer (core.loki), against a local
server speaking Loki's push API that goes down, comes back, loses answers and refuses batches:
none lost, none twice, in order, with OIBs masked and no passport number."""

import base64
import gzip
import json
import logging
import shutil
import threading
import time
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from accessctl.models import BlacklistSource, ViolationAction
from accessctl.services.check import blacklist_check
from accessctl.services.entries import blacklist_entry_create
from core import loki
from core.audit import audit_line, audit_record
from core.errors import Forbidden
from core.models import AuditEvent
from core.tasks import audit_ship
from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db

OIB = "12345678903"
PASSPORT = "P9876543"
TIMEOUT = 0.5


class FakeLoki:
    """Loki's push API (POST /loki/api/v1/push, a JSON body, gzip if Content-Encoding says so,
    204 when stored). Like Loki it drops an entry whose stream already holds the same timestamp
    and line. `mode`: "up"; "refuse" (nothing listens); "503"; "bad" (400, as for a malformed
    or too old entry); "lose" (stores, then answers 500) and "hang" (stores, then answers only
    after the client's timeout): the two ways an answer gets lost."""

    def __init__(self):
        self.port, self.server, self.mode = 0, None, "up"
        self.stored: list[tuple[dict, str, str]] = []  # (labels, ts, line), deduplicated
        self.received = 0  # entries pushed, duplicates included
        self.pushes: list[dict] = []  # each accepted body, with its headers
        self._seen, self._lock = set(), threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _LokiHandler)
        self.server.daemon_threads, self.server.loki = True, self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def switch(self, mode: str) -> None:
        if mode == "refuse":
            self.stop()
        elif self.server is None:
            self.start()  # the same port again
        self.mode = mode

    def store(self, body: dict, headers) -> None:
        with self._lock:
            self.pushes.append({"body": body, "tenant": headers.get("X-Scope-OrgID"),
                                "authorization": headers.get("Authorization")})
            for stream in body["streams"]:
                for ts, line in stream["values"]:
                    self.received += 1
                    entry = (tuple(sorted(stream["stream"].items())), ts, line)
                    if entry not in self._seen:
                        self._seen.add(entry)
                        self.stored.append((stream["stream"], ts, line))

    def ids(self) -> list[int]:
        return [json.loads(line)["id"] for _, _, line in self.stored]


def _valid(body) -> bool:
    streams = body.get("streams") if isinstance(body, dict) else None
    return isinstance(streams, list) and all(
        isinstance(s.get("stream"), dict) and s["stream"]
        and all(isinstance(k, str) and isinstance(v, str) for k, v in s["stream"].items())
        and isinstance(s.get("values"), list)
        and all(len(v) == 2 and isinstance(v[0], str) and v[0].isdigit() and isinstance(v[1], str)
                for v in s["values"])
        for s in streams)


class _LokiHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        loki_server = self.server.loki
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/loki/api/v1/push":
            return self.reply(404, "404 page not found")
        if loki_server.mode == "503":
            return self.reply(503, "Ingester not ready")
        if loki_server.mode == "bad":
            return self.reply(400, "entry too far behind, oldest acceptable timestamp is ...")
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding:
            return self.reply(415, f"unsupported Content-Encoding {encoding}")
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return self.reply(415, "this server speaks JSON only")
        try:
            body = json.loads(raw)
        except ValueError:
            return self.reply(400, "cannot parse the body")
        if not _valid(body):
            return self.reply(400, "not a push request")
        loki_server.store(body, self.headers)
        if loki_server.mode == "lose":
            return self.reply(500, "stored, but the answer is lost")
        if loki_server.mode == "hang":
            time.sleep(TIMEOUT * 2)
        self.reply(204, "")

    def reply(self, status: int, text: str):
        payload = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (a timeout)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def redis_buffer(settings):
    """The Redis of REDIS_URL (its db) where the tests run with one; else a redis-server of
    the test's own. The buffer's keys are removed before and after."""
    server = None
    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        if not shutil.which("redis-server"):
            pytest.skip("needs Redis (set REDIS_URL)")
        server = RedisServer()
        server.start()
        settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                       "LOCATION": server.url}}
    redis = loki.redis_connection()
    names = [loki.key(name) for name in ("pending", "inflight", "dead", "lock", "kick")]
    redis.delete(*names)
    yield redis
    redis.delete(*names)
    if server is not None:
        server.kill()


@pytest.fixture
def fake_loki(settings, redis_buffer):
    server = FakeLoki()
    server.start()
    settings.LOKI_URL = server.url
    settings.LOKI_TIMEOUT_SECONDS = TIMEOUT
    settings.LOKI_BATCH_SIZE = 500
    settings.LOKI_USERNAME = settings.LOKI_PASSWORD = settings.LOKI_TENANT_ID = ""
    yield server
    server.stop()


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    """record(n, **audit_record kwargs) -> the n events, committed one after another."""

    def make(n: int = 1, **kwargs) -> list[AuditEvent]:
        events = []
        for i in range(n):
            with django_capture_on_commit_callbacks(execute=True):
                fields = {"actor": None, "action": "order.created",
                          "object_type": "ticketing.order", "object_id": i,
                          "after": {"n": i}} | kwargs
                events.append(audit_record(**fields))
        return events

    return make


def sizes() -> dict[str, int]:
    return loki.buffer_sizes()


def nanoseconds(event: AuditEvent) -> str:
    return str(int(event.created_at.timestamp()) * 10**9 + event.created_at.microsecond * 1000)


def test_without_loki_url_nothing_is_buffered(settings, redis_buffer, record, fake_loki):
    settings.LOKI_URL = ""

    [event] = record()

    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert not any(redis_buffer.exists(loki.key(name))
                   for name in ("pending", "inflight", "dead", "kick"))
    assert audit_ship() == {"shipped": 0, "dead": 0, "failed": ""}
    assert fake_loki.pushes == []


def test_each_event_is_one_entry_labelled_by_domain_at_its_own_time(
        settings, fake_loki, record):
    settings.LOKI_TENANT_ID, settings.LOKI_USERNAME, settings.LOKI_PASSWORD = (
        "hns", "shipper", "s3cret")
    fake_loki.switch("503")
    events = [*record(action="order.created"), *record(action="seat_map.updated"),
              *record(action="order.completed")]
    fake_loki.switch("up")

    assert audit_ship() == {"shipped": 3, "dead": 0, "failed": ""}

    [push] = fake_loki.pushes
    streams = push["body"]["streams"]
    assert [s["stream"] for s in streams] == [
        {"app": "ticketing", "stream": "audit", "domain": "orders"},
        {"app": "ticketing", "stream": "audit", "domain": "seats"}]
    assert [len(s["values"]) for s in streams] == [2, 1]  # grouped per label set, in order
    stored = AuditEvent.objects.in_bulk([e.pk for e in events])
    assert sorted((ts, line) for _, ts, line in fake_loki.stored) == sorted(
        (nanoseconds(e), audit_line(stored[e.pk])) for e in events)
    assert json.loads(fake_loki.stored[0][2])["domain"] == "orders"
    assert push["tenant"] == "hns"
    assert push["authorization"] == "Basic " + base64.b64encode(b"shipper:s3cret").decode()
    assert sizes() == {"pending": 0, "inflight": 0, "dead": 0}


@pytest.mark.parametrize("down", ["refuse", "503"])
def test_while_loki_is_down_the_buffer_fills_and_all_arrive_in_order_once_it_is_back(
        settings, fake_loki, record, down, caplog):
    settings.LOKI_BATCH_SIZE = 7
    fake_loki.switch(down)

    with caplog.at_level(logging.WARNING, logger="core.loki"):
        events = record(30)
        assert audit_ship()["failed"]

    assert sizes() == {"pending": 30, "inflight": 0, "dead": 0}
    assert fake_loki.stored == []
    assert "wait in Redis for Loki" in caplog.text

    fake_loki.switch("up")
    assert audit_ship() == {"shipped": 30, "dead": 0, "failed": ""}

    assert fake_loki.ids() == [e.pk for e in events]  # in order
    assert fake_loki.received == 30  # none twice
    assert len(fake_loki.pushes) == 5  # 7 + 7 + 7 + 7 + 2
    assert sizes() == {"pending": 0, "inflight": 0, "dead": 0}


@pytest.mark.parametrize("lost", ["lose", "hang"])
def test_an_answer_lost_after_loki_stored_the_batch_leaves_no_duplicate(
        settings, fake_loki, record, lost):
    fake_loki.switch("503")
    events = record(5)
    fake_loki.switch(lost)

    assert audit_ship()["failed"]  # Loki stored them, but the answer was lost
    assert fake_loki.received == 5
    assert sizes()["pending"] == 5  # kept: as far as we know, Loki did not take them

    fake_loki.switch("up")
    assert audit_ship()["shipped"] == 5

    assert fake_loki.received == 10  # sent twice ...
    assert fake_loki.ids() == [e.pk for e in events]  # ... and in Loki once, as Loki dedupes


def test_concurrent_shipments_ship_each_event_once(settings, fake_loki, record):
    settings.LOKI_BATCH_SIZE = 10
    fake_loki.switch("503")
    events = record(200)
    fake_loki.switch("up")
    start, results = threading.Barrier(6), []

    def worker():
        start.wait()
        for _ in range(3):
            results.append(audit_ship())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert fake_loki.received == 200
    assert sorted(fake_loki.ids()) == [e.pk for e in events]
    assert sum(r.get("shipped", 0) for r in results) == 200
    assert sizes() == {"pending": 0, "inflight": 0, "dead": 0}


def test_a_killed_workers_batch_in_flight_is_shipped_first_on_the_next_run(
        settings, fake_loki, record, redis_buffer):
    settings.LOKI_BATCH_SIZE = 5
    fake_loki.switch("503")
    events = record(12)
    # A worker takes the lock and a batch, then is killed before it posts.
    assert loki.lock_take(redis_buffer, "killed-worker")
    assert [json.loads(line)["id"] for line in loki.batch_claim(redis_buffer, "killed-worker")
            ] == [e.pk for e in events[:5]]
    fake_loki.switch("up")

    assert audit_ship() == {"busy": True}  # its lock still holds ...
    redis_buffer.pexpire(loki.key("lock"), 1)  # ... until it runs out
    time.sleep(0.01)
    assert audit_ship() == {"shipped": 12, "dead": 0, "failed": ""}

    first = fake_loki.pushes[0]["body"]["streams"][0]["values"]
    assert [json.loads(line)["id"] for _, line in first] == [e.pk for e in events[:5]]
    assert fake_loki.ids() == [e.pk for e in events]
    assert fake_loki.received == 12


def test_oibs_are_masked_and_no_passport_number_reaches_loki(
        fake_loki, record, make_user, django_capture_on_commit_callbacks):
    officer = make_user("officer@hns.example")
    record(actor=officer, action="profile.updated", object_type="ticketing.profile",
           before={"oib": OIB, "passport_number": PASSPORT},
           after={"holder": {"OIB": OIB, "passport": PASSPORT, "city": "Split"},
                  "guests": [{"guardian_oib": OIB, "passport_number_encrypted": "gAAAA"}]})
    with django_capture_on_commit_callbacks(execute=True):
        blacklist_entry_create(oib=OIB, actor=officer, first_name="Marko", last_name="Marić",
                               reason="Pyrotechnics", source=BlacklistSource.MUP_COURT_BAN)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Forbidden):
        blacklist_check(oibs=[OIB], user=officer, action=ViolationAction.PURCHASE_ATTEMPT)
    audit_ship()

    shipped = json.dumps([push["body"] for push in fake_loki.pushes])
    actions = [json.loads(line)["action"] for _, _, line in fake_loki.stored]
    assert {"profile.updated", "blacklist_entry.create", "violation.recorded"} <= set(actions)
    assert OIB not in shipped
    assert PASSPORT not in shipped and "passport" not in shipped
    assert "*******8903" in shipped


def test_a_batch_loki_refuses_goes_to_the_dead_letter(settings, fake_loki, record, caplog):
    fake_loki.switch("bad")
    with caplog.at_level(logging.ERROR, logger="core.loki"):
        refused = record(3)
        audit_ship()

    assert sizes() == {"pending": 0, "inflight": 0, "dead": 3}  # not retried forever
    assert "Loki refused a batch of" in caplog.text

    fake_loki.switch("up")
    later = record(1)
    audit_ship()
    assert fake_loki.ids() == [later[0].pk]  # the refused batch does not block the others

    call_command("audit_requeue", "--dead-letter")  # e.g. once Loki's limits are fixed
    audit_ship()
    assert sorted(fake_loki.ids()) == sorted(e.pk for e in [*refused, *later])
    assert sizes() == {"pending": 0, "inflight": 0, "dead": 0}


def test_redis_down_at_commit_keeps_the_event_and_audit_requeue_ships_it(
        settings, fake_loki, record, caplog, redis_buffer):
    working = settings.CACHES
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                   "LOCATION": RedisServer().url,  # nothing listens there
                                   "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2}}}

    with caplog.at_level(logging.WARNING, logger="core.loki"):
        [event] = record(action="refund.completed")  # no exception: the commit stands

    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert f"audit_requeue --since-id {event.pk}" in caplog.text

    settings.CACHES = working
    call_command("audit_requeue", "--since-id", str(event.pk))
    audit_ship()

    [(labels, ts, line)] = fake_loki.stored
    assert (labels["domain"], ts) == ("refunds", nanoseconds(event))
    assert line == audit_line(AuditEvent.objects.get(pk=event.pk))


def test_a_line_made_again_from_the_database_is_the_one_shipped(fake_loki, record):
    payload = {"zeta": 1, "amount": Decimal("90.00"), "day": date(2026, 3, 4),
               "nested": {"b": [2, 1], "a": None}, 7: "an int key"}
    events = record(4, before=payload, after={"status": "PAID"})
    audit_ship()
    assert fake_loki.received == 4

    call_command("audit_requeue", "--since-id", str(events[0].pk))  # which kicks a shipment
    audit_ship()

    assert sizes() == {"pending": 0, "inflight": 0, "dead": 0}
    assert fake_loki.received == 8  # sent again, identical ...
    assert fake_loki.ids() == [e.pk for e in events]  # ... so Loki keeps one of each


def test_a_commit_kicks_at_most_one_shipment_a_second_and_the_beat_ships_the_rest(
        settings, fake_loki, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = (audit_record(actor=None, action="cart.add",
                                             object_type="ticketing.cart", object_id=n)
                                for n in range(3))

    assert fake_loki.ids() == [first.pk]  # the first commit hook kicked a shipment
    assert sizes()["pending"] == 2
    assert settings.CELERY_BEAT_SCHEDULE["audit-ship"]["task"] == "core.tasks.audit_ship"
    assert settings.CELERY_BEAT_SCHEDULE["audit-ship"]["schedule"] <= 10

    audit_ship()  # the beat's tick
    assert fake_loki.ids() == [first.pk, second.pk, third.pk]
