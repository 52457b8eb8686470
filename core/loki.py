"""Audit events to Grafana Loki, through a Redis buffer.

With LOKI_URL set, each audit event's JSON line (core.audit.audit_line) is pushed onto a Redis
list when its transaction commits; `ship` (the Celery task `audit_ship`, run by beat and kicked
by a commit at most once per LOKI_KICK_SECONDS) sends the list to Loki's push API in batches of
LOKI_BATCH_SIZE. Without LOKI_URL nothing is buffered: the database table and the log hold it.

Nothing is lost and nothing is shipped twice:
- one shipper at a time (a Redis lock with a token; every step checks the token);
- a batch is moved atomically (Lua) from `pending` to `in-flight` before it is posted, and
  leaves `in-flight` only when Loki answered 2xx; on a failure (refused, timeout, 5xx, 429)
  it goes back to the head of `pending`, in order, and the run stops until the next tick;
  one left in-flight by a killed worker is the first thing the next run sends;
- an entry's timestamp is its event's `created_at` in nanoseconds and its line is made from the
  row alone, so a batch sent again after a lost answer is the identical entry, which Loki drops
  as a duplicate (same stream, timestamp and line);
- Loki's 4xx about the batch itself (400 and the like) would fail forever: that batch goes to
  a dead-letter list (`audit_requeue --dead-letter` sends it again) with an error logged.

Redis down when an event commits: logged, the event is in the database (`audit_requeue
--since-id N` queues rows again)."""

import gzip
import json
import logging
import uuid
from datetime import UTC, datetime

import requests
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from core.outages import REDIS_DOWN

logger = logging.getLogger(__name__)

PUSH_PATH = "/loki/api/v1/push"
LABELS = {"app": "ticketing", "stream": "audit"}
# Answers that say nothing about the batch (wrong URL or credentials, throttled, timed out):
# kept and sent again, like a 5xx. Every other 4xx means Loki will never take the batch.
RETRY_STATUSES = {401, 403, 404, 408, 429}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# KEYS: lock, pending, in-flight. ARGV: token, batch size, lock ms. The batch in flight if
# there is one (a killed worker's), else the next one moved there from pending; nil if the
# lock is no longer ours.
_CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local batch = redis.call('LRANGE', KEYS[3], 0, -1)
if #batch > 0 then return batch end
batch = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if #batch > 0 then
  redis.call('LTRIM', KEYS[2], #batch, -1)
  for i = 1, #batch do redis.call('RPUSH', KEYS[3], batch[i]) end
end
return batch
"""

# KEYS: lock, in-flight, destination. ARGV: token, "drop" | "dead" (append to the dead letter)
# | "back" (to the head of pending, in order). 0 if the lock is no longer ours.
_SETTLE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= 'drop' then
  local batch = redis.call('LRANGE', KEYS[2], 0, -1)
  if ARGV[2] == 'dead' then
    for i = 1, #batch do redis.call('RPUSH', KEYS[3], batch[i]) end
  else
    for i = #batch, 1, -1 do redis.call('LPUSH', KEYS[3], batch[i]) end
  end
end
redis.call('DEL', KEYS[2])
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: dead letter, pending: everything in the first appended to the second.
_REQUEUE_DEAD = """
local batch = redis.call('LRANGE', KEYS[1], 0, -1)
for i = 1, #batch do redis.call('RPUSH', KEYS[2], batch[i]) end
redis.call('DEL', KEYS[1])
return #batch
"""


def key(name: str) -> str:
    """The Redis key of the buffer's `pending`, `inflight`, `dead`, `lock` or `kick`; one hash
    tag for all, so the scripts also run on a Redis Cluster."""
    return cache.make_key(f"audit-loki:{{buffer}}:{name}")


def redis_connection():
    """The raw Redis connection behind the cache, or None on any other cache backend."""
    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _lock_ms() -> int:
    # Longer than one push can take; a worker killed mid-push frees the lock after this.
    return int(max(30.0, settings.LOKI_TIMEOUT_SECONDS * 4) * 1000)


# --- into the buffer --------------------------------------------------------------------------

def buffer_push(line: str, *, event_id: int) -> None:
    """Queue one committed event's line for Loki (nothing without LOKI_URL) and kick a shipment
    unless one was kicked in the last LOKI_KICK_SECONDS. Never raises for Redis: the event is
    in the database whatever happens here."""
    if not settings.LOKI_URL:
        return
    redis = redis_connection()
    if redis is None:
        logger.warning("LOKI_URL is set but the cache is not Redis: audit event %s is not "
                       "shipped to Loki (it is in the database).", event_id)
        return
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.rpush(key("pending"), line)
        pipe.set(key("kick"), 1, nx=True, ex=settings.LOKI_KICK_SECONDS)
        _, kicked = pipe.execute()
    except (*REDIS_DOWN, RedisError) as exc:  # unreachable, or refusing writes (OOM, READONLY)
        logger.warning("Redis did not take audit event %s for Loki (it is "
                       "in the database; `manage.py audit_requeue --since-id %s` queues it "
                       "again): %s", event_id, event_id, exc)
        return
    if kicked:
        kick()


def lines_push(lines: list[str]) -> None:
    """Append lines to the buffer (audit_requeue), in one round trip. Raises if Redis is down."""
    if lines:
        redis_connection().rpush(key("pending"), *lines)


def dead_letter_requeue() -> int:
    """Move every dead-letter line back to the buffer; how many."""
    redis = redis_connection()
    return redis.register_script(_REQUEUE_DEAD)(keys=[key("dead"), key("pending")])


def kick() -> None:
    """Start a shipment now. The beat starts one anyway, so a broker that cannot take the task
    is only logged."""
    from core.tasks import audit_ship

    try:
        audit_ship.apply_async(expires=max(settings.LOKI_SHIP_SECONDS, 30))
    except Exception as exc:  # the broker down, or an eager run that failed: the beat retries
        logger.warning("Could not start shipping audit events to Loki: %s", exc)


def buffer_sizes() -> dict[str, int]:
    redis = redis_connection()
    return {name: redis.llen(key(name)) for name in ("pending", "inflight", "dead")}


# --- out to Loki ------------------------------------------------------------------------------

def _ns(at: str) -> str:
    """An ISO timestamp as Loki's nanoseconds since the epoch (exact: integer arithmetic)."""
    delta = datetime.fromisoformat(at) - EPOCH
    return str(((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000)


def push_body(lines: list[str]) -> dict:
    """Loki's JSON push body: one stream per domain, each with its entries in buffer order."""
    streams: dict[str, list[list[str]]] = {}
    for line in lines:
        event = json.loads(line)
        streams.setdefault(event["domain"], []).append([_ns(event["at"]), line])
    return {"streams": [{"stream": {**LABELS, "domain": domain}, "values": values}
                        for domain, values in streams.items()]}


def _post(lines: list[str]) -> tuple[str, str]:
    """("ok" | "retry" | "bad", what went wrong)."""
    try:
        body = gzip.compress(json.dumps(push_body(lines)).encode())
    except (ValueError, KeyError, TypeError) as exc:  # not a line audit_line made
        return "bad", f"unreadable line in the batch: {exc!r}"
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    if settings.LOKI_TENANT_ID:
        headers["X-Scope-OrgID"] = settings.LOKI_TENANT_ID
    auth = ((settings.LOKI_USERNAME, settings.LOKI_PASSWORD) if settings.LOKI_USERNAME
            else None)
    try:
        response = requests.post(f"{settings.LOKI_URL.rstrip('/')}{PUSH_PATH}", data=body,
                                 headers=headers, auth=auth,
                                 timeout=settings.LOKI_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return "retry", f"Loki unreachable: {exc}"
    if 200 <= response.status_code < 300:
        return "ok", ""
    problem = f"Loki answered {response.status_code}: {response.text[:300]}"
    if response.status_code in RETRY_STATUSES or response.status_code >= 500:
        return "retry", problem
    return "bad", problem


def lock_take(redis, token: str) -> bool:
    """Become the one shipper, for _lock_ms unless renewed (each batch claim renews it)."""
    return bool(redis.set(key("lock"), token, nx=True, px=_lock_ms()))


def batch_claim(redis, token: str) -> list[str] | None:
    """The batch in flight (a killed worker's), else the next LOKI_BATCH_SIZE lines moved from
    pending to in flight; [] when nothing waits, None when the lock is no longer `token`'s."""
    batch = redis.register_script(_CLAIM)(
        keys=[key("lock"), key("pending"), key("inflight")],
        args=[token, max(1, settings.LOKI_BATCH_SIZE), _lock_ms()])
    return None if batch is None else [item.decode() for item in batch]


def _settle(redis, token: str, how: str) -> bool:
    destination = key("dead") if how == "dead" else key("pending")
    return bool(redis.register_script(_SETTLE)(
        keys=[key("lock"), key("inflight"), destination], args=[token, how]))


def ship() -> dict:
    """Send the buffer to Loki, batch by batch, until it is empty or Loki fails. Returns
    what it did, {"shipped", "dead", "failed"}, or {"busy": True} when another worker ships."""
    done = {"shipped": 0, "dead": 0, "failed": ""}
    redis = redis_connection() if settings.LOKI_URL else None
    if redis is None:
        return done
    token = uuid.uuid4().hex
    try:
        if not lock_take(redis, token):
            return {"busy": True}
        try:
            while lines := batch_claim(redis, token):
                outcome, problem = _post(lines)
                if outcome == "retry":
                    _settle(redis, token, "back")
                    done["failed"] = problem
                    logger.warning("Audit events wait in Redis for Loki (%d in this batch); "
                                   "retrying on the next run: %s", len(lines), problem)
                    break
                if not _settle(redis, token, "drop" if outcome == "ok" else "dead"):
                    break  # the lock ran out mid-push: the next shipper sends the batch again
                if outcome == "ok":
                    done["shipped"] += len(lines)
                else:
                    done["dead"] += len(lines)
                    logger.error("Loki refused a batch of %d audit events; kept in the dead "
                                 "letter (`manage.py audit_requeue --dead-letter` sends it "
                                 "again): %s", len(lines), problem)
        finally:
            redis.register_script(_UNLOCK)(keys=[key("lock")], args=[token])
    except REDIS_DOWN as exc:
        logger.warning("Redis is unreachable: audit events not shipped to Loki this run: %s",
                       exc)
        done["failed"] = str(exc)
    return done
