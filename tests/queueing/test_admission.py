"""Admission windows (E5-F4): queue_admit respects the per-minute rate and the cap on open
windows, issues a signed token, tells the fan (push + WebSocket); windows expire or complete
and free their slot; add-to-cart asks queue_window_check."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.utils import timezone

from config.asgi import application
from core.errors import Forbidden
from core.models import PushLog, PushPriority
from queueing import services
from queueing.models import QueueEntry, QueueStatus
from tests.concurrency import run_together
from tests.queueing.factories import make_queue
from tests.ticketing.test_user_events_ws import ORIGIN, WebsocketCommunicator


def fill(queue, make_user, count):
    users = [make_user() for _ in range(count)]
    for user in users:
        services.queue_join(match_id=queue.match_id, user=user)
    return users


def admitted(queue):
    return QueueEntry.objects.filter(match=queue.match, status=QueueStatus.ADMITTED).count()


def test_admission_admits_no_more_than_the_rate_per_minute(db, make_user):
    queue = make_queue(admission_rate_per_minute=3, max_open_windows=10)
    fill(queue, make_user, 5)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert len(services.queue_admit(match=queue.match)) == 3
        assert services.queue_admit(match=queue.match) == []
        clock.shift(timedelta(seconds=61))
        assert len(services.queue_admit(match=queue.match)) == 2
    assert admitted(queue) == 5


def test_admission_takes_fans_in_queue_order(db, make_user):
    queue = make_queue(admission_rate_per_minute=2)
    users = fill(queue, make_user, 4)

    entries = services.queue_admit(match=queue.match)

    assert [e.user_id for e in entries] == [u.pk for u in users[:2]]


def test_admission_never_exceeds_the_open_window_cap_and_a_completion_frees_a_slot_at_once(
        db, make_user):
    queue = make_queue(max_open_windows=2)
    users = fill(queue, make_user, 4)

    assert len(services.queue_admit(match=queue.match)) == 2
    assert services.queue_admit(match=queue.match) == []

    services.queue_window_complete(match=queue.match, user=users[0])

    assert [e.user_id for e in services.queue_admit(match=queue.match)] == [users[2].pk]
    assert QueueEntry.objects.get(user=users[0]).status == QueueStatus.COMPLETED


def test_rate_and_cap_are_read_afresh_each_run(db, make_user):
    queue = make_queue(max_open_windows=1)
    fill(queue, make_user, 3)
    assert len(services.queue_admit(match=queue.match)) == 1

    queue.max_open_windows = 3
    queue.save()

    assert len(services.queue_admit(match=queue.match)) == 2


def test_an_expired_window_frees_its_slot_and_the_sweep_marks_it_expired(db, make_user):
    queue = make_queue(max_open_windows=1)
    first, second = fill(queue, make_user, 2)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.queue_admit(match=queue.match)
        services.queue_heartbeat(match_id=queue.match_id, user=second)
        clock.shift(timedelta(minutes=20))

        assert [e.user_id for e in services.queue_admit(match=queue.match)] == [second.pk]
        assert services.queue_sweep(match=queue.match) == {"expired": 1, "dropped": 0}
    assert QueueEntry.objects.get(user=first).status == QueueStatus.EXPIRED


def test_the_window_lasts_the_configured_minutes_and_carries_a_verifiable_token(db, make_user):
    queue = make_queue()
    user, other = fill(queue, make_user, 2)

    with time_machine.travel(timezone.now(), tick=False):
        entry = services.queue_admit(match=queue.match)[0]
        assert entry.window_expires_at == timezone.now() + timedelta(minutes=20)

    assert services.admission_token_verify(token=entry.admission_token, match_id=queue.match_id,
                                           user_id=user.pk) == entry.pk
    with pytest.raises(Forbidden):
        services.admission_token_verify(token=entry.admission_token, match_id=queue.match_id,
                                        user_id=other.pk)
    with pytest.raises(Forbidden):
        services.admission_token_verify(token=entry.admission_token + "x",
                                        match_id=queue.match_id, user_id=user.pk)


def test_the_fan_status_shows_the_window_once_admitted(login, db):
    queue = make_queue()
    fan = login("fan@example.com")
    fan.post(f"/api/queue/{queue.match_id}/join")
    entry = services.queue_admit(match=queue.match)[0]

    body = fan.get(f"/api/queue/{queue.match_id}/status").json()

    assert body["status"] == "ADMITTED"
    assert body["position"] is None
    assert body["window"]["admission_token"] == entry.admission_token


def test_an_admitted_fan_is_told_by_push_with_high_priority(db, make_user):
    queue = make_queue()
    (user,) = fill(queue, make_user, 1)

    services.queue_admit(match=queue.match)

    log = PushLog.objects.get(user=user)
    assert log.notification_type == "queue_turn"
    assert log.priority == PushPriority.HIGH
    assert log.data_json["match_id"] == str(queue.match_id)


def test_nothing_is_admitted_before_the_queue_opens(db, make_user):
    queue = make_queue(opens_in=timedelta(minutes=5))
    fill(queue, make_user, 2)

    assert services.queue_admit(match=queue.match) == []


def test_the_next_fans_move_up_once_the_first_are_admitted(
        db, make_user, django_capture_on_commit_callbacks):
    queue = make_queue(admission_rate_per_minute=2)
    users = fill(queue, make_user, 3)

    with django_capture_on_commit_callbacks(execute=True):
        services.queue_admit(match=queue.match)

    view = services.queue_status(match_id=queue.match_id, user=users[2])
    assert (view.position, view.total_queue_size) == (1, 1)


def test_add_to_cart_needs_an_open_window_while_the_queue_is_active(db, make_user):
    queue = make_queue()
    user, stranger = fill(queue, make_user, 1)[0], make_user()

    with pytest.raises(Forbidden) as refused:
        services.queue_window_check(match=queue.match, user=user)
    assert refused.value.status_code == 403
    assert refused.value.detail.startswith("You need to wait for your turn in the queue")

    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.queue_admit(match=queue.match)
        assert services.queue_window_check(match=queue.match, user=user) is None
        clock.shift(timedelta(minutes=20))
        with pytest.raises(Forbidden):
            services.queue_window_check(match=queue.match, user=user)

    queue.is_active = False
    queue.save()
    assert services.queue_window_check(match=queue.match, user=stranger) is None


def test_completing_without_an_open_window_is_refused(db, make_user):
    queue = make_queue()
    (user,) = fill(queue, make_user, 1)

    with pytest.raises(services.InvalidTransition):
        services.queue_window_complete(match=queue.match, user=user)


@pytest.mark.django_db(transaction=True)
def test_the_fan_gets_the_position_on_connect_and_the_window_on_admission(login):
    queue = make_queue()
    fan = login("fan@example.com")
    fan.post(f"/api/queue/{queue.match_id}/join")
    path = f"/ws/queue/{queue.match_id}/"

    async def scenario():
        ws = WebsocketCommunicator(application, f"{path}?token={fan.tokens.access_token}",
                                   headers=[ORIGIN])
        connected, _ = await ws.connect()
        snapshot = await ws.receive_json_from()
        await database_sync_to_async(services.queue_admit)(match=queue.match)
        event = await ws.receive_json_from(timeout=2)
        await ws.disconnect()
        return connected, snapshot, event

    connected, snapshot, event = async_to_sync(scenario)()

    assert connected
    assert snapshot["type"] == "queue.position"
    assert (snapshot["position"], snapshot["total_queue_size"]) == (1, 1)
    assert event["type"] == "queue.admitted"
    entry = QueueEntry.objects.get(user=fan.user)
    assert event["window"]["admission_token"] == entry.admission_token


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admission_runs_racing_never_exceed_the_cap(make_user):
    queue = make_queue(max_open_windows=5)
    fill(queue, make_user, 20)
    run_together(2, lambda _: services.queue_admit(match=queue.match))

    assert admitted(queue) == 5


@pytest.mark.django_db(transaction=True)
def test_each_fan_admitted_in_one_run_gets_their_own_window_on_the_socket(login):
    queue = make_queue()
    fans = [login(f"fan{i}@example.com") for i in range(3)]
    for fan in fans:
        fan.post(f"/api/queue/{queue.match_id}/join")
    path = f"/ws/queue/{queue.match_id}/"

    async def scenario():
        sockets = [WebsocketCommunicator(application, f"{path}?token={f.tokens.access_token}",
                                         headers=[ORIGIN]) for f in fans]
        for ws in sockets:
            await ws.connect()
            await ws.receive_json_from()  # the snapshot
        await database_sync_to_async(services.queue_admit)(match=queue.match)
        events = [await ws.receive_json_from(timeout=2) for ws in sockets]
        assert all([await ws.receive_nothing() for ws in sockets])
        for ws in sockets:
            await ws.disconnect()
        return events

    events = async_to_sync(scenario)()

    tokens = {e.user_id: e.admission_token for e in QueueEntry.objects.filter(match=queue.match)}
    assert [e["type"] for e in events] == ["queue.admitted"] * 3
    assert [e["window"]["admission_token"] for e in events] == [tokens[f.user.pk] for f in fans]
