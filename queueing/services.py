"""The waiting room: join, position, heartbeats, admission windows (E5).

Order: every entry has a `sort_key`; smaller goes first. A fan who joins before the queue opens
(`opens_at`) gets a random negative key, so those fans come out in random order among themselves
(the key is drawn independently of when they joined, which is the same as shuffling them at
opening) and all of them ahead of later joiners, who get the config's arrival counter (1, 2, …).

Ranks: the database is the truth (COUNT of WAITING entries ahead, over the rank index); when the
cache is django-redis, a sorted set per match indexes the ranks, kept in step on commit and
re-synced by every admission tick (`queue_tick`). `entry_position` is the one place that chooses.
Estimates divide the place by the admission rate measured over the last 5 minutes, which the tick
publishes in the cache every 5 s (measured on the spot when no tick published one lately).

Admission (`queue_admit`) runs under the QueueConfig row lock, so concurrent runs never exceed the
per-minute rate or the cap on open windows; every join takes the same lock, so simultaneous
joiners get distinct positions. A tick admits its fans in one UPDATE (all or none) and sends
their admission messages in one batch after commit. A window or heartbeat that ran out counts as
gone the moment it runs out (`window_expires_at > now`, stale-heartbeat checks), whether or not
the sweep has run.

Pushes (E5-F3/F4), each with a deeplink, each sent once: "moving up" when the place improved by
QUEUE_PUSH_PROGRESS_PERCENT since the last one, "almost at the front" at
QUEUE_PUSH_NEAR_FRONT_POSITION, "it's your turn" on admission, "window expired" when the sweep
ends an unused window. The entry records what was sent; a conditional update claims each push,
so overlapping runs never send one twice."""

import logging
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string

from core.audit import audit_record
from core.errors import Conflict, Forbidden, InvalidTransition, NotFound
from core.locks import lock_first, lock_one, lock_rows
from core.models import PushPriority
from core.notifications import push_send, push_send_many
from core.outages import REDIS_DOWN, unless_redis_down
from core.status import StatusMachine
from queueing.channel_batch import group_send_many
from queueing.models import LIVE_STATUSES, QueueConfig, QueueEntry, QueueStatus
from seating.models import Match

logger = logging.getLogger(__name__)

# Named rules (overridable in settings).
HEARTBEAT_TIMEOUT = timedelta(minutes=settings.QUEUE_HEARTBEAT_TIMEOUT_MINUTES)
RATE_MEASURE_WINDOW = timedelta(minutes=5)
RATE_LIMIT_WINDOW = timedelta(seconds=60)
# How long a rate published by the admission tick (every 5 s) stands in for measuring it.
RATE_PUBLISHED_SECONDS = 30
TOKEN_SALT = "queueing.admission"
# Pre-open keys stay within a double's exact integers, so Redis scores equal the database keys.
PRE_OPEN_KEY_SPAN = 2**52
WAIT_MESSAGE = "You need to wait for your turn in the queue before adding tickets to your cart."
# Screens of the fan app that a push opens (after settings.APP_DEEPLINK_BASE).
DEEPLINK_BUY = "match/{match_id}/buy"
DEEPLINK_QUEUE = "match/{match_id}/queue"

QUEUE_STATUS = StatusMachine("queue entry", {
    QueueStatus.WAITING: {QueueStatus.ADMITTED, QueueStatus.LEFT, QueueStatus.DROPPED},
    # LEFT: the fan gave up an unused window, which frees its slot at once.
    QueueStatus.ADMITTED: {QueueStatus.COMPLETED, QueueStatus.EXPIRED, QueueStatus.LEFT},
})


def user_group(match_id: int, user_id: int) -> str:
    return f"queue.{match_id}.{user_id}"


@dataclass
class QueueView:
    """What a fan sees: the entry plus its place (position None unless WAITING)."""

    entry: QueueEntry
    position: int | None
    estimated_wait_seconds: int | None
    total_queue_size: int

    def as_dict(self) -> dict:
        entry = self.entry
        window = None
        if entry.status == QueueStatus.ADMITTED:
            window = {"expires_at": entry.window_expires_at.isoformat(),
                      "admission_token": entry.admission_token}
        return {"match_id": entry.match_id, "status": entry.status, "position": self.position,
                "estimated_wait_time": self.estimated_wait_seconds,
                "total_queue_size": self.total_queue_size, "window": window}


# --- Ranks: Redis sorted set when available, else the database ------------------------------

def _redis():
    """The raw Redis connection behind the cache, or None on any other cache backend."""
    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _zset(match_id: int) -> str:
    return cache.make_key(f"queue:{match_id}")


def _member(entry_id: int) -> str:
    # Zero-padded, so equal scores tie-break by id exactly as the database does.
    return f"{entry_id:015d}"


def _position_from_db(entry: QueueEntry) -> int:
    ahead = QueueEntry.objects.filter(
        Q(sort_key__lt=entry.sort_key) | Q(sort_key=entry.sort_key, id__lt=entry.id),
        match_id=entry.match_id, status=QueueStatus.WAITING,
    ).count()
    return ahead + 1


def _size_from_db(match_id: int) -> int:
    return QueueEntry.objects.filter(match_id=match_id, status=QueueStatus.WAITING).count()


def entry_position(entry: QueueEntry) -> int:
    """1-based place of a WAITING entry (Redis ZRANK, or COUNT in the database)."""
    redis = _redis()
    if redis is None:
        return _position_from_db(entry)
    key, member = _zset(entry.match_id), _member(entry.id)
    pipe = redis.pipeline()
    pipe.zadd(key, {member: entry.sort_key}, nx=True)  # self-healing: a missing member re-adds
    pipe.zrank(key, member)
    return pipe.execute()[1] + 1


def queue_size(match_id: int) -> int:
    redis = _redis()
    return _size_from_db(match_id) if redis is None else redis.zcard(_zset(match_id))


def _position_and_size(entry: QueueEntry) -> tuple[int, int]:
    """entry_position and queue_size together: one Redis round trip."""
    redis = _redis()
    if redis is None:
        return _position_from_db(entry), _size_from_db(entry.match_id)
    key, member = _zset(entry.match_id), _member(entry.id)
    pipe = redis.pipeline()
    pipe.zadd(key, {member: entry.sort_key}, nx=True)  # self-healing, as in entry_position
    pipe.zrank(key, member)
    pipe.zcard(key)
    _, rank, size = pipe.execute()
    return rank + 1, size


def _index_remove_on_commit(match_id: int, entry_ids: list[int]) -> None:
    """Take the entries out of the rank index after commit; with Redis down they stay in it
    until the next tick's `rank_index_sync` sees the size disagree and rebuilds it."""
    redis = _redis()
    if redis is None or not entry_ids:
        return

    def remove() -> None:
        with unless_redis_down("removing queue entries from the rank index"):
            redis.zrem(_zset(match_id), *[_member(i) for i in entry_ids])

    transaction.on_commit(remove)


def rank_index_sync(*, match_id: int) -> bool:
    """Rebuild the sorted set when its size disagrees with the database (Redis restarted, a
    commit that failed after its ZADD). True when it rebuilt."""
    redis = _redis()
    if redis is None:
        return False
    rows = None
    if redis.zcard(_zset(match_id)) != _size_from_db(match_id):
        rows = list(QueueEntry.objects.filter(match_id=match_id, status=QueueStatus.WAITING)
                    .values_list("id", "sort_key"))
        pipe = redis.pipeline()
        pipe.delete(_zset(match_id))
        if rows:
            pipe.zadd(_zset(match_id), {_member(i): key for i, key in rows})
        pipe.execute()
    return rows is not None


# --- Estimates ------------------------------------------------------------------------------

def admission_rate(*, config: QueueConfig, now: datetime | None = None) -> float:
    """Fans admitted per minute, measured over the last 5 minutes; the configured rate when
    nobody was admitted in that time."""
    now = now or timezone.now()
    admitted = QueueEntry.objects.filter(match_id=config.match_id,
                                         admitted_at__gt=now - RATE_MEASURE_WINDOW).count()
    measured = admitted / (RATE_MEASURE_WINDOW.total_seconds() / 60)
    return measured or float(config.admission_rate_per_minute)


def _rate_key(match_id: int) -> str:
    return f"queue:{match_id}:admission-rate"


def admission_rate_publish(*, config: QueueConfig) -> float:
    """Measure the rate once for every fan who asks in the next seconds (the admission tick
    calls this every 5 s): counting the last 5 minutes' admissions per join or status would
    cost the database far more than the estimate is worth."""
    rate = admission_rate(config=config)
    cache.set(_rate_key(config.match_id), rate, timeout=RATE_PUBLISHED_SECONDS)
    return rate


def _current_admission_rate(config: QueueConfig) -> float:
    """The rate the tick published, or measured now when none is (no tick ran lately)."""
    rate = cache.get(_rate_key(config.match_id))
    return admission_rate(config=config) if rate is None else rate


def estimated_wait_seconds(*, position: int, rate_per_minute: float) -> int:
    return math.ceil(position * 60 / rate_per_minute) if rate_per_minute > 0 else 0


def _view(entry: QueueEntry, config: QueueConfig) -> QueueView:
    if entry.status != QueueStatus.WAITING:
        return QueueView(entry=entry, position=None, estimated_wait_seconds=None,
                         total_queue_size=queue_size(entry.match_id))
    position, size = _position_and_size(entry)
    estimate = estimated_wait_seconds(position=position,
                                      rate_per_minute=_current_admission_rate(config))
    return QueueView(entry=entry, position=position, estimated_wait_seconds=estimate,
                     total_queue_size=size)


# --- Lookups --------------------------------------------------------------------------------

def queue_config_for_match(*, match_id: int, lock: bool = False) -> QueueConfig:
    """The match's active queue: 404 for an unknown match, 409 when it has no active queue."""
    configs = QueueConfig.objects.filter(match_id=match_id, is_active=True,
                                         match__is_deleted=False)
    config = lock_first(configs) if lock else configs.first()
    if config is None:
        if not Match.objects.filter(pk=match_id, is_deleted=False).exists():
            raise NotFound("Match not found.", code="match_not_found")
        raise Conflict("This match has no active waiting queue.", code="queue_inactive")
    return config


def _is_stale(entry: QueueEntry, now: datetime) -> bool:
    return (entry.status == QueueStatus.WAITING
            and entry.last_heartbeat_at <= now - HEARTBEAT_TIMEOUT)


def _transition(entry: QueueEntry, to_status: str, **fields) -> None:
    """Claim the entry in its current status and move it; the transitions table decides."""
    _transition_all([entry], to_status, **fields)


def _transition_all(entries: list[QueueEntry], to_status: str, **fields) -> None:
    """_transition for entries in one status, in one UPDATE: all are claimed or none (Conflict).
    A field given as {entry id: value} is set per entry."""
    from_status = entries[0].status
    QUEUE_STATUS.check(from_status, to_status)
    values = {name: Case(*[When(pk=pk, then=Value(v)) for pk, v in value.items()],
                         output_field=QueueEntry._meta.get_field(name))
              if isinstance(value, dict) else value for name, value in fields.items()}
    ids = [entry.pk for entry in entries]
    changed = QueueEntry.objects.filter(pk__in=ids, status=from_status).update(
        status=to_status, **values)
    if changed != len(entries):
        raise Conflict("The queue entry changed meanwhile; try again.", code="queue_entry_changed")
    for entry in entries:
        entry.status = to_status
        for name, value in fields.items():
            setattr(entry, name, value[entry.pk] if isinstance(value, dict) else value)
    if from_status == QueueStatus.WAITING:
        _index_remove_on_commit(entries[0].match_id, ids)


def _unless_gone(entry: QueueEntry | None, now: datetime) -> QueueEntry | None:
    """The live entry, or None: one whose heartbeat ran out is dropped here and now."""
    if entry is not None and _is_stale(entry, now):
        _transition(entry, QueueStatus.DROPPED, ended_at=now)
        return None
    return entry


def _live_entry(*, match_id: int, user, now: datetime) -> QueueEntry | None:
    """The fan's WAITING/ADMITTED entry; one whose heartbeat ran out is dropped here and now."""
    return _unless_gone(QueueEntry.objects.filter(match_id=match_id, user=user,
                                                  status__in=LIVE_STATUSES).first(), now)


def _latest_entry(*, match_id: int, user) -> QueueEntry | None:
    """The fan's live entry if there is one, else their latest earlier one: what a join needs
    to know (keep the place, or go to the back), in one query."""
    live_first = Case(When(status__in=LIVE_STATUSES, then=Value(0)), default=Value(1))
    return (QueueEntry.objects.filter(match_id=match_id, user=user)
            .order_by(live_first, "-id").first())


def _blacklisted(user) -> bool:
    # The blacklist lives in accessctl and matches on OIBs; a project wires it in here with
    # QUEUE_IS_BLACKLISTED = "dotted.path.to.is_blacklisted" (user -> bool).
    hook = settings.QUEUE_IS_BLACKLISTED
    return bool(hook) and bool(import_string(hook)(user))


# --- Fan operations -------------------------------------------------------------------------

def queue_join(*, match_id: int, user) -> QueueView:
    """Join the match's queue; joining again returns the same entry (and counts as a heartbeat).
    A fan who was in this queue before (left, dropped, window expired or used) goes to the back,
    even before opening: a new random pre-open key would let a fan re-draw a better place."""
    if _blacklisted(user):
        raise Forbidden("You cannot buy tickets for this match.", code="blacklisted")
    with transaction.atomic():
        config = queue_config_for_match(match_id=match_id, lock=True)
        now = timezone.now()
        latest = _latest_entry(match_id=match_id, user=user)
        returning = latest is not None
        live = latest is not None and latest.status in LIVE_STATUSES
        entry = _unless_gone(latest, now) if live else None
        if entry is not None:
            QueueEntry.objects.filter(pk=entry.pk).update(last_heartbeat_at=now)
            entry.last_heartbeat_at = now
        else:
            if now < config.opens_at and not returning:
                sort_key = -random.randint(1, PRE_OPEN_KEY_SPAN)
            else:
                sort_key = config.next_sort_key
                config.next_sort_key += 1
                config.save(update_fields=["next_sort_key"])
            try:
                entry = QueueEntry.objects.create(
                    match_id=match_id, user=user, sort_key=sort_key, joined_at=now,
                    last_heartbeat_at=now)
            except IntegrityError:  # only without the row lock (SQLite serialises anyway)
                # No savepoint needed: the Conflict leaves the transaction, which rolls back.
                raise Conflict("You joined this queue meanwhile; try again.",
                               code="queue_entry_changed") from None
        # Computed under the lock: simultaneous joiners see each other in order.
        return _view(entry, config)


def queue_status(*, match_id: int, user) -> QueueView:
    config = queue_config_for_match(match_id=match_id)
    entry = _live_entry(match_id=match_id, user=user, now=timezone.now())
    if entry is None:
        raise NotFound("You are not in the queue for this match.", code="not_in_queue")
    return _view(entry, config)


def queue_heartbeat(*, match_id: int, user) -> QueueView:
    """Keep the fan's place: a heartbeat within HEARTBEAT_TIMEOUT of the last one keeps it."""
    config = queue_config_for_match(match_id=match_id)
    now = timezone.now()
    with transaction.atomic():
        entry = _live_entry(match_id=match_id, user=user, now=now)
        if entry is None:
            raise NotFound("You are not in the queue for this match (your place was lost after "
                           "a long disconnection); join again.", code="not_in_queue")
        QueueEntry.objects.filter(pk=entry.pk).update(last_heartbeat_at=now)
        entry.last_heartbeat_at = now
        return _view(entry, config)  # in the transaction: Redis down answers 503, unwritten


def queue_leave(*, match_id: int, user) -> QueueView:
    """The fan leaves: a waiting place is given up, an open window frees its slot at once.
    Joining again later goes to the back of the queue. Seats already in the fan's cart stay
    held until the cart's expiry (DELETE /api/cart frees them)."""
    if not Match.objects.filter(pk=match_id, is_deleted=False).exists():
        raise NotFound("Match not found.", code="match_not_found")
    now = timezone.now()
    with transaction.atomic():
        entry = _live_entry(match_id=match_id, user=user, now=now)
        if entry is None:
            raise NotFound("You are not in the queue for this match.", code="not_in_queue")
        _transition(entry, QueueStatus.LEFT, ended_at=now)
    return QueueView(entry=entry, position=None, estimated_wait_seconds=None,
                     total_queue_size=_size_after_leaving(match_id))


def _size_after_leaving(match_id: int) -> int:
    """The size once the leave committed (its ZREM ran, so it no longer counts the fan). The
    leave happened, so Redis being down now answers from the database instead of failing."""
    try:
        return queue_size(match_id)
    except REDIS_DOWN as exc:
        logger.warning("Redis is unreachable; queue size from the database: %s", exc)
        return _size_from_db(match_id)


# --- Admission windows ----------------------------------------------------------------------

def admission_token_make(entry: QueueEntry) -> str:
    return signing.dumps({"u": entry.user_id, "m": entry.match_id, "e": entry.pk}, salt=TOKEN_SALT)


def admission_token_verify(*, token: str, match_id: int, user_id: int,
                           max_age: timedelta | None = None) -> int:
    """The entry id inside a valid token for this fan and match; Forbidden otherwise."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except signing.BadSignature:
        raise Forbidden("Invalid or expired admission token.", code="bad_admission_token") from None
    if data.get("u") != user_id or data.get("m") != match_id:
        raise Forbidden("This admission token is for another fan or match.",
                        code="bad_admission_token")
    return data["e"]


def _push_data(match_id: int, deeplink: str, **extra) -> dict:
    # FCM data values must be strings.
    return {"match_id": str(match_id),
            "deeplink": settings.APP_DEEPLINK_BASE + deeplink.format(match_id=match_id),
            **{key: str(value) for key, value in extra.items()}}


def _notify_window_expired(entry: QueueEntry) -> None:
    push_send(user=entry.user, notification_type="queue_window_expired",
              title="Your purchase window has expired",
              body="Join the queue again to buy tickets; you will queue from the back.",
              data=_push_data(entry.match_id, DEEPLINK_QUEUE))


def _events_on_commit(events: list[tuple[int, dict]]) -> None:
    """Send each (user id, event) to that fan's queue sockets once the transaction commits.
    Like core.transactions.broadcast_on_commit, but one on-commit call, one event loop and a
    few Redis round trips for all of them: per message, those cost more than the message."""
    if not events:
        return

    def send():
        layer = get_channel_layer()
        if layer is not None:  # with Redis down, fans see the change on their next status read
            with unless_redis_down("the waiting room's WebSocket messages"):
                async_to_sync(group_send_many)(layer, [
                    (user_group(event["match_id"], user_id),
                     {"type": "queue.event", "event": event}) for user_id, event in events])

    transaction.on_commit(send)


def _admitted_event(entry: QueueEntry) -> dict:
    return {"type": "queue.admitted", "match_id": entry.match_id,
            "window": {"expires_at": entry.window_expires_at.isoformat(),
                       "admission_token": entry.admission_token}}


def _push_admitted(entries: list[QueueEntry]) -> None:
    """"It's your turn!" to a batch admitted together (same match, same window length)."""
    first = entries[0]
    minutes = round((first.window_expires_at - first.admitted_at).total_seconds() / 60)
    push_send_many(users=[entry.user for entry in entries], notification_type="queue_turn",
                   title="It's your turn!",
                   body=f"You can buy tickets now. Your purchase window closes in {minutes} "
                        "minutes.",
                   data=_push_data(first.match_id, DEEPLINK_BUY), priority=PushPriority.HIGH)


def queue_admit(*, match: Match) -> list[QueueEntry]:
    """Admit the next fans, as many as both the per-minute rate (admitted in the last 60 s) and
    the cap on open windows allow. Returns the admitted entries."""
    with transaction.atomic():
        config = lock_first(QueueConfig.objects.filter(match=match, is_active=True))
        now = timezone.now()
        if config is None or config.admission_paused or now < config.opens_at:
            return []
        entries = QueueEntry.objects.filter(match=match)
        open_windows = entries.filter(status=QueueStatus.ADMITTED,
                                      window_expires_at__gt=now).count()
        admitted_recently = entries.filter(admitted_at__gt=now - RATE_LIMIT_WINDOW).count()
        room = min(config.admission_rate_per_minute - admitted_recently,
                   config.max_open_windows - open_windows)
        if room <= 0:
            return []
        candidates = list(
            entries.filter(status=QueueStatus.WAITING,
                           last_heartbeat_at__gt=now - HEARTBEAT_TIMEOUT)
            .select_related("user").order_by("sort_key", "id")[:room]
        )
        if not candidates:
            return []
        _transition_all(candidates, QueueStatus.ADMITTED, admitted_at=now,
                        window_expires_at=now + timedelta(minutes=config.window_minutes),
                        admission_token={e.pk: admission_token_make(e) for e in candidates})
        _events_on_commit([(entry.user_id, _admitted_event(entry)) for entry in candidates])
        _push_admitted(candidates)
        return candidates


def queue_admission_pause(*, config: QueueConfig, paused: bool, actor, request=None) -> None:
    """Stop (or restart) admitting fans; waiting fans keep their places."""
    with transaction.atomic():
        config = lock_one(QueueConfig.objects.filter(pk=config.pk))
        if config.admission_paused == paused:
            return
        config.admission_paused = paused
        config.save(update_fields=["admission_paused", "updated_at"])
        audit_record(actor=actor, action="queue.admission_paused" if paused
                     else "queue.admission_resumed", obj=config,
                     before={"admission_paused": not paused},
                     after={"admission_paused": paused}, request=request)


def queue_close(*, match_id: int, actor, reason: str) -> None:
    """The match is off sale for good (cancelled): no one joins or is admitted any more."""
    config = lock_first(QueueConfig.objects.filter(match_id=match_id, is_active=True))
    if config is None:
        return
    config.is_active, config.admission_paused = False, True
    config.save(update_fields=["is_active", "admission_paused", "updated_at"])
    audit_record(actor=actor, action="queue.closed", obj=config, before={"is_active": True},
                 after={"is_active": False, "reason": reason})


def queue_sweep(*, match: Match) -> dict:
    """Expire windows that ran out (their slot is already free; the fan is told by push) and
    drop fans whose heartbeat is older than HEARTBEAT_TIMEOUT (their place is lost)."""
    now = timezone.now()
    with transaction.atomic():
        entries = QueueEntry.objects.filter(match=match)
        # Locked and skipped by a concurrent sweep, so each expiry is pushed once.
        expired = lock_rows(entries.filter(status=QueueStatus.ADMITTED,
                                           window_expires_at__lte=now).select_related("user"),
                            skip_locked=True)
        expired_count = entries.filter(pk__in=[e.pk for e in expired],
                                       status=QueueStatus.ADMITTED).update(
            status=QueueStatus.EXPIRED, ended_at=now)
        for entry in expired:
            _notify_window_expired(entry)
        stale = entries.filter(status=QueueStatus.WAITING,
                               last_heartbeat_at__lte=now - HEARTBEAT_TIMEOUT)
        stale_ids = list(stale.values_list("id", flat=True))
        dropped = entries.filter(pk__in=stale_ids, status=QueueStatus.WAITING).update(
            status=QueueStatus.DROPPED, ended_at=now)
        _index_remove_on_commit(match.pk, stale_ids)
    return {"expired": expired_count, "dropped": dropped}


def queue_window_complete(*, match: Match, user) -> None:
    """Checkout finished: the window is COMPLETED and its slot frees at once. One conditional
    UPDATE (ADMITTED -> COMPLETED in QUEUE_STATUS), since every sale's completion runs it."""
    changed = QueueEntry.objects.filter(match=match, user=user,
                                        status=QueueStatus.ADMITTED).update(
        status=QueueStatus.COMPLETED, ended_at=timezone.now())
    if not changed:
        raise InvalidTransition("You have no open purchase window for this match.")


def queue_window_check(*, match: Match, user) -> None:
    """For add-to-cart: while the match's queue is active, only a fan with an open window may
    buy. Raises Forbidden otherwise."""
    if not QueueConfig.objects.filter(match=match, is_active=True).exists():
        return
    if not QueueEntry.objects.filter(match=match, user=user, status=QueueStatus.ADMITTED,
                                     window_expires_at__gt=timezone.now()).exists():
        raise Forbidden(WAIT_MESSAGE, code="queue_wait")


class Push:
    """What a fan's place calls for (push_due)."""

    NEAR_FRONT = "near_front"
    PROGRESS = "progress"
    BASELINE = "baseline"  # first place seen after opening: remembered, nothing sent


def push_due(*, position: int, notified_position: int | None, near_front_sent: bool) -> str | None:
    """Which push a waiting fan at `position` is due, given what they were sent before."""
    if position <= settings.QUEUE_PUSH_NEAR_FRONT_POSITION:
        return None if near_front_sent else Push.NEAR_FRONT
    if notified_position is None:
        return Push.BASELINE
    if position * 100 <= notified_position * (100 - settings.QUEUE_PUSH_PROGRESS_PERCENT):
        return Push.PROGRESS
    return None


def _waiting_places(match: Match, limit: int | None = None) -> list[tuple]:
    """(entry id, user id, notified position, near-front sent at) of waiting fans in order."""
    rows = (QueueEntry.objects.filter(match=match, status=QueueStatus.WAITING)
            .order_by("sort_key", "id")
            .values_list("id", "user_id", "progress_notified_position", "near_front_notified_at"))
    return list(rows if limit is None else rows[:limit])


def _notify_places(config: QueueConfig, places: list[tuple], rate: float) -> int:
    """Send the pushes the fans' places call for (places from _waiting_places, position = index
    + 1). Before opening nothing is sent: pre-open places are a shuffle, not progress.
    Returns how many fans were pushed."""
    now = timezone.now()
    if now < config.opens_at:
        return 0
    due, baselines = {}, []
    for position, (entry_id, _, notified, near_front_at) in enumerate(places, start=1):
        kind = push_due(position=position, notified_position=notified,
                        near_front_sent=near_front_at is not None)
        if kind == Push.BASELINE:
            baselines.append(QueueEntry(pk=entry_id, progress_notified_position=position))
        elif kind is not None:
            due[entry_id] = (kind, position)
    QueueEntry.objects.bulk_update(baselines, ["progress_notified_position"], batch_size=1000)
    if not due:
        return 0
    with transaction.atomic():
        # The claim: the due rows are locked (a concurrent run skips them), checked afresh and
        # moved; only the run that moves a record sends its push.
        locked = lock_rows(QueueEntry.objects.filter(pk__in=due, status=QueueStatus.WAITING)
                           .select_related("user"), skip_locked=True)
        claimed = [entry for entry in locked if push_due(
            position=due[entry.pk][1], notified_position=entry.progress_notified_position,
            near_front_sent=entry.near_front_notified_at is not None) == due[entry.pk][0]]
        near_front = [e.pk for e in claimed if due[e.pk][0] == Push.NEAR_FRONT]
        progress = {e.pk: due[e.pk][1] for e in claimed if due[e.pk][0] == Push.PROGRESS}
        if near_front:
            QueueEntry.objects.filter(pk__in=near_front).update(near_front_notified_at=now)
        if progress:
            QueueEntry.objects.filter(pk__in=progress).update(progress_notified_position=Case(
                *[When(pk=pk, then=Value(position)) for pk, position in progress.items()]))
        for entry in claimed:
            kind, position = due[entry.pk]
            _notify_place(entry, kind, position, rate)
    return len(claimed)


def _notify_place(entry: QueueEntry, kind: str, position: int, rate: float) -> None:
    minutes = math.ceil(estimated_wait_seconds(position=position, rate_per_minute=rate) / 60)
    data = _push_data(entry.match_id, DEEPLINK_QUEUE, position=position)
    if kind == Push.NEAR_FRONT:
        push_send(user=entry.user, notification_type="queue_near_front",
                  title="You're almost at the front!",
                  body=f"You are number {position} in the queue. Keep the app open: your "
                       "purchase window opens soon.", data=data, priority=PushPriority.HIGH)
    else:
        push_send(user=entry.user, notification_type="queue_progress",
                  title="You're moving up the queue",
                  body=f"You are now number {position} (about {minutes} min to go).", data=data)


def queue_positions_broadcast(*, match: Match) -> int:
    """Send every waiting fan their position, estimate and the queue size (one query for all),
    and the pushes their places call for. Returns how many positions were sent."""
    config = QueueConfig.objects.filter(match=match, is_active=True).first()
    if config is None:
        return 0
    places = _waiting_places(match)
    rate = admission_rate(config=config)
    _events_on_commit([
        (user_id, {"type": "queue.position", "match_id": match.pk, "status": QueueStatus.WAITING,
                   "position": position,
                   "estimated_wait_time": estimated_wait_seconds(position=position,
                                                                 rate_per_minute=rate),
                   "total_queue_size": len(places)})
        for position, (_, user_id, _, _) in enumerate(places, start=1)])
    _notify_places(config, places, rate)
    return len(places)


def queue_near_front_notify(*, match: Match) -> int:
    """The cheap part of the pushes, run every tick: only the first
    QUEUE_PUSH_NEAR_FRONT_POSITION fans can be due "almost at the front", and at a fast
    admission rate they pass through that stretch in seconds. Returns how many were pushed."""
    config = QueueConfig.objects.filter(match=match, is_active=True).first()
    if config is None:
        return 0
    places = _waiting_places(match, limit=settings.QUEUE_PUSH_NEAR_FRONT_POSITION)
    return _notify_places(config, places, _current_admission_rate(config))


def queue_admission_rate_publish(*, match: Match) -> float | None:
    """The admission tick's: measure the rate for the fans who ask in the next seconds."""
    config = QueueConfig.objects.filter(match=match, is_active=True).first()
    return None if config is None else admission_rate_publish(config=config)
