"""POST /api/queue/{id}/leave and coming back (E5-F1 LEFT status, E5-F4 "rejoin at the end")."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from queueing import services
from queueing.models import QueueEntry, QueueStatus
from tests.queueing.factories import make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit work (the Redis rank index follows the database on commit)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def leave(client, queue):
    return client.post(f"/api/queue/{queue.match_id}/leave")


def join(user, queue):
    return services.queue_join(match_id=queue.match_id, user=user)


def test_leaving_gives_up_the_place_and_the_fans_behind_move_up(fan, make_user, committed):
    queue = make_queue()
    fan.post(f"/api/queue/{queue.match_id}/join")
    behind = make_user()
    join(behind, queue)

    with committed():
        response = leave(fan, queue)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["position"], body["window"]) == ("LEFT", None, None)
    entry = QueueEntry.objects.get(user=fan.user)
    assert entry.status == QueueStatus.LEFT and entry.ended_at is not None
    view = services.queue_status(match_id=queue.match_id, user=behind)
    assert (view.position, view.total_queue_size) == (1, 1)
    assert fan.get(f"/api/queue/{queue.match_id}/status").status_code == 404


def test_a_fan_who_leaves_and_rejoins_goes_to_the_back(fan, make_user, committed):
    queue = make_queue()
    fan.post(f"/api/queue/{queue.match_id}/join")
    others = [make_user() for _ in range(2)]
    for other in others:
        join(other, queue)

    with committed():
        leave(fan, queue)
    body = fan.post(f"/api/queue/{queue.match_id}/join").json()

    assert (body["status"], body["position"], body["total_queue_size"]) == ("WAITING", 3, 3)
    assert QueueEntry.objects.filter(user=fan.user).count() == 2


def test_leaving_before_opening_cannot_redraw_a_better_random_place(make_user, committed):
    queue = make_queue(opens_in=timedelta(minutes=10))
    fan, *early = [make_user() for _ in range(6)]
    for user in [fan, *early]:
        join(user, queue)

    with committed():
        services.queue_leave(match_id=queue.match_id, user=fan)
    view = join(fan, queue)

    assert view.position == 6  # behind every fan who kept their pre-opening place
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        late = make_user()
        join(late, queue)
        assert services.queue_status(match_id=queue.match_id, user=late).position == 7


def test_an_admitted_fan_who_leaves_frees_the_window_slot_at_once(make_user):
    queue = make_queue(max_open_windows=1)
    first, second = make_user(), make_user()
    join(first, queue)
    join(second, queue)
    services.queue_admit(match=queue.match)
    assert services.queue_admit(match=queue.match) == []

    services.queue_leave(match_id=queue.match_id, user=first)

    assert [e.user_id for e in services.queue_admit(match=queue.match)] == [second.pk]
    with pytest.raises(services.Forbidden):
        services.queue_window_check(match=queue.match, user=first)


def test_leaving_a_queue_you_are_not_in_says_404(fan):
    queue = make_queue()

    response = leave(fan, queue)

    assert response.status_code == 404
    assert response.json()["error"] == "not_in_queue"
    assert fan.post("/api/queue/999999/leave").json()["error"] == "match_not_found"


def test_leaving_needs_a_signed_in_fan(api):
    queue = make_queue()

    assert leave(api, queue).status_code == 401


# --- E5-F4: the window's start is recorded; an unused window sends the fan to the back ------

def test_admission_records_when_the_window_started(make_user):
    queue = make_queue()
    user = make_user()
    join(user, queue)

    with time_machine.travel(timezone.now(), tick=False):
        services.queue_admit(match=queue.match)
        entry = QueueEntry.objects.get(user=user)
        assert entry.admitted_at == timezone.now()
        assert entry.window_expires_at == entry.admitted_at + timedelta(minutes=20)


def test_a_fan_whose_window_expired_rejoins_at_the_end(make_user, committed):
    queue = make_queue(max_open_windows=1)
    lapsed, *waiting = [make_user() for _ in range(3)]
    for user in [lapsed, *waiting]:
        join(user, queue)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        with committed():
            services.queue_admit(match=queue.match)
        for user in waiting:
            services.queue_heartbeat(match_id=queue.match_id, user=user)
        clock.shift(timedelta(minutes=20))
        services.queue_sweep(match=queue.match)

        view = join(lapsed, queue)

    assert (view.entry.status, view.position, view.total_queue_size) == ("WAITING", 3, 3)
