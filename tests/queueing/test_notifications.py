"""What the waiting room tells a fan (E5-F2 position updates, E5-F3 progressive pushes, E5-F4
"window expired"): each push once per threshold, each with a deeplink."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from config.asgi import application
from core.models import PushLog, PushPriority
from queueing import services, tasks
from queueing.models import QueueEntry, QueueStatus
from queueing.services import Push, push_due
from tests.concurrency import run_together
from tests.queueing.factories import make_queue
from tests.ticketing.test_user_events_ws import ORIGIN, WebsocketCommunicator

pytestmark = pytest.mark.django_db


def fill(queue, make_user, count):
    users = [make_user() for _ in range(count)]
    for user in users:
        services.queue_join(match_id=queue.match_id, user=user)
    return users


def pushes(user, kind=None):
    logs = PushLog.objects.filter(user=user).order_by("id")
    return list(logs.filter(notification_type=kind) if kind else logs)


# --- when a push is due (defaults: near the front at 50, moving up by 50 %) -----------------

@pytest.mark.parametrize(("position", "notified", "near_front_sent", "due"), [
    (5000, None, False, Push.BASELINE),      # first place seen after opening: remembered only
    (5000, 5000, False, None),               # no move
    (2600, 5000, False, None),               # moved up, but by less than half
    (2500, 5000, False, Push.PROGRESS),      # moved up by half
    (900, 5000, False, Push.PROGRESS),
    (51, 100, False, None),
    (50, 100, False, Push.NEAR_FRONT),       # near the front, whatever the last push
    (50, None, False, Push.NEAR_FRONT),
    (1, 100, False, Push.NEAR_FRONT),
    (10, 100, True, None),                   # near-front push already sent
])
def test_which_push_a_place_calls_for(position, notified, near_front_sent, due):
    assert push_due(position=position, notified_position=notified,
                    near_front_sent=near_front_sent) == due


def test_the_thresholds_are_settings(settings):
    settings.QUEUE_PUSH_NEAR_FRONT_POSITION = 10
    settings.QUEUE_PUSH_PROGRESS_PERCENT = 20

    assert push_due(position=11, notified_position=12, near_front_sent=False) is None
    assert push_due(position=10, notified_position=100, near_front_sent=False) == Push.NEAR_FRONT
    assert push_due(position=80, notified_position=100, near_front_sent=False) == Push.PROGRESS
    assert push_due(position=81, notified_position=100, near_front_sent=False) is None


# --- the pushes -------------------------------------------------------------------------------

def test_a_fan_moving_up_a_lot_is_pushed_once_then_again_near_the_front(make_user, settings):
    settings.QUEUE_PUSH_NEAR_FRONT_POSITION = 2
    queue = make_queue(admission_rate_per_minute=1000)
    users = fill(queue, make_user, 10)
    last = users[-1]

    services.queue_positions_broadcast(match=queue.match)  # place 10 remembered, nothing sent
    assert pushes(last) == []
    assert QueueEntry.objects.get(user=last).progress_notified_position == 10

    queue.admission_rate_per_minute = 5
    queue.save()
    services.queue_admit(match=queue.match)                 # now 5th: moved up by half
    services.queue_positions_broadcast(match=queue.match)
    services.queue_positions_broadcast(match=queue.match)   # the next run sends nothing more

    [progress] = pushes(last)
    assert progress.notification_type == "queue_progress"
    assert progress.title == "You're moving up the queue"
    assert progress.body.startswith("You are now number 5 ")
    assert progress.data_json == {"match_id": str(queue.match_id),
                                  "deeplink": f"hnstickets://match/{queue.match_id}/queue",
                                  "position": "5"}

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        queue.admission_rate_per_minute = 3
        queue.save()
        services.queue_admit(match=queue.match)             # now 2nd: near the front
        services.queue_positions_broadcast(match=queue.match)
        services.queue_positions_broadcast(match=queue.match)

    near = pushes(last)[1:]
    assert [p.notification_type for p in near] == ["queue_near_front"]
    assert near[0].title == "You're almost at the front!"
    assert near[0].body.startswith("You are number 2 in the queue.")
    assert near[0].priority == PushPriority.HIGH
    assert near[0].data_json["deeplink"] == f"hnstickets://match/{queue.match_id}/queue"


def test_the_admission_tick_pushes_near_the_front_once_and_the_turn_to_the_admitted(make_user):
    queue = make_queue(max_open_windows=1)
    first, second, third = fill(queue, make_user, 3)

    tasks.queue_tick()
    tasks.queue_tick()

    assert [p.notification_type for p in pushes(first)] == ["queue_turn"]
    for user in (second, third):
        assert [p.notification_type for p in pushes(user)] == ["queue_near_front"]
    turn = pushes(first)[0]
    assert turn.title == "It's your turn!"
    assert turn.data_json["deeplink"] == f"hnstickets://match/{queue.match_id}/buy"


def test_a_small_queue_pushes_near_the_front_but_never_moving_up(make_user):
    queue = make_queue(admission_paused=True)
    users = fill(queue, make_user, 3)

    services.queue_positions_broadcast(match=queue.match)

    assert [p.notification_type for u in users for p in pushes(u)] == ["queue_near_front"] * 3


def test_nothing_is_pushed_before_the_queue_opens(make_user):
    queue = make_queue(opens_in=timedelta(minutes=10))
    users = fill(queue, make_user, 3)

    services.queue_positions_broadcast(match=queue.match)
    tasks.queue_tick()

    assert PushLog.objects.filter(user__in=users).count() == 0
    assert not QueueEntry.objects.filter(progress_notified_position__isnull=False).exists()


def test_an_unused_window_is_expired_by_the_sweep_and_the_fan_is_told_once(make_user):
    queue = make_queue()
    (user,) = fill(queue, make_user, 1)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.queue_admit(match=queue.match)
        clock.shift(timedelta(minutes=20))
        assert services.queue_sweep(match=queue.match)["expired"] == 1
        assert services.queue_sweep(match=queue.match)["expired"] == 0

    [expired] = pushes(user, "queue_window_expired")
    assert expired.title == "Your purchase window has expired"
    assert expired.data_json == {"match_id": str(queue.match_id),
                                 "deeplink": f"hnstickets://match/{queue.match_id}/queue"}
    assert QueueEntry.objects.get(user=user).status == QueueStatus.EXPIRED


def test_a_completed_window_is_not_told_it_expired(make_user):
    queue = make_queue()
    (user,) = fill(queue, make_user, 1)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.queue_admit(match=queue.match)
        services.queue_window_complete(match=queue.match, user=user)
        clock.shift(timedelta(minutes=20))
        services.queue_sweep(match=queue.match)

    assert pushes(user, "queue_window_expired") == []


# --- position updates over the WebSocket (E5-F2) ------------------------------------------

def test_positions_go_out_every_60_seconds_by_default():
    assert settings.QUEUE_POSITIONS_PUSH_SECONDS == 60.0
    schedule = settings.CELERY_BEAT_SCHEDULE["queue-positions"]
    assert schedule == {"task": "queueing.tasks.queue_positions_push", "schedule": 60.0}


@pytest.mark.django_db(transaction=True)
def test_the_periodic_update_carries_position_estimate_and_size(login, make_user):
    queue = make_queue()
    fill(queue, make_user, 2)
    fan = login("fan@example.com")
    fan.post(f"/api/queue/{queue.match_id}/join")
    path = f"/ws/queue/{queue.match_id}/?token={fan.tokens.access_token}"

    async def scenario():
        ws = WebsocketCommunicator(application, path, headers=[ORIGIN])
        connected, _ = await ws.connect()
        await ws.receive_json_from()  # the snapshot on connect
        await database_sync_to_async(tasks.queue_positions_push)()
        update = await ws.receive_json_from(timeout=2)
        await ws.disconnect()
        return connected, update

    connected, update = async_to_sync(scenario)()

    assert connected
    assert update == {"type": "queue.position", "match_id": queue.match_id,
                      "status": "WAITING", "position": 3, "estimated_wait_time": 2,
                      "total_queue_size": 3}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ticks_racing_push_near_the_front_once_each(make_user):
    queue = make_queue(admission_paused=True)
    users = fill(queue, make_user, 6)

    run_together(2, lambda _: services.queue_near_front_notify(match=queue.match))

    assert [len(pushes(u, "queue_near_front")) for u in users] == [1] * 6
