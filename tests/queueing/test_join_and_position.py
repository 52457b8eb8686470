"""Joining the waiting room and keeping a place: POST /api/queue/{id}/join, GET …/status,
POST …/heartbeat (E5-F1, E5-F5)."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from queueing import services
from queueing.models import QueueEntry, QueueStatus
from tests.concurrency import run_together
from tests.queueing.factories import make_queue
from tests.seating.factories import make_match


def join(client, queue):
    return client.post(f"/api/queue/{queue.match_id}/join")


def everyone_is_blacklisted(user) -> bool:
    return True


@pytest.fixture
def queue(db):
    return make_queue()


def test_joining_returns_position_estimate_and_size(fan, queue):
    response = join(fan, queue)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "WAITING"
    assert body["position"] == 1
    assert body["total_queue_size"] == 1
    assert body["estimated_wait_time"] == 1  # 1 fan at the configured 100 a minute
    assert body["window"] is None


def test_joining_twice_returns_the_same_entry(fan, queue):
    first = join(fan, queue).json()
    second = join(fan, queue).json()

    assert first == second
    assert QueueEntry.objects.filter(match=queue.match, user=fan.user).count() == 1


def test_fans_who_join_after_opening_are_placed_in_arrival_order(login, queue):
    fans = [login(f"fan{i}@example.com") for i in range(4)]

    positions = [join(f, queue).json()["position"] for f in fans]

    assert positions == [1, 2, 3, 4]
    assert [fan.get(f"/api/queue/{queue.match_id}/status").json()["position"]
            for fan in fans] == [1, 2, 3, 4]


def test_fans_who_join_before_opening_are_shuffled_among_themselves_and_go_first(make_user):
    queue = make_queue(opens_in=timedelta(minutes=10))
    early = [make_user() for _ in range(12)]
    late = [make_user() for _ in range(3)]
    for user in early:
        services.queue_join(match_id=queue.match_id, user=user)

    with time_machine.travel(queue.opens_at + timedelta(seconds=1)):
        for user in late:
            services.queue_join(match_id=queue.match_id, user=user)
        order = [services.queue_status(match_id=queue.match_id, user=u).position
                 for u in early + late]

    assert sorted(order[:12]) == list(range(1, 13))
    assert order[12:] == [13, 14, 15]
    # Twelve fans keeping their join order by chance: one in 479 million.
    assert order[:12] != list(range(1, 13))


def test_the_estimate_uses_the_measured_admission_rate(make_user, queue):
    queue.admission_rate_per_minute = 10
    queue.save()
    users = [make_user() for _ in range(3)]
    views = [services.queue_join(match_id=queue.match_id, user=u) for u in users]
    assert views[2].estimated_wait_seconds == 18  # 3rd at the configured 10 a minute

    now = timezone.now()
    QueueEntry.objects.bulk_create([
        QueueEntry(match=queue.match, user=make_user(), status=QueueStatus.COMPLETED, sort_key=-i,
                   joined_at=now, last_heartbeat_at=now, admitted_at=now - timedelta(minutes=4))
        for i in range(1, 101)
    ])

    view = services.queue_status(match_id=queue.match_id, user=users[2])
    assert view.position == 3
    assert view.estimated_wait_seconds == 9  # 100 admitted in 5 minutes: 20 a minute


def test_a_heartbeat_within_30_minutes_keeps_the_place(make_user, queue):
    first, second = make_user(), make_user()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.queue_join(match_id=queue.match_id, user=first)
        services.queue_join(match_id=queue.match_id, user=second)
        clock.shift(timedelta(minutes=29))
        services.queue_heartbeat(match_id=queue.match_id, user=first)
        services.queue_heartbeat(match_id=queue.match_id, user=second)
        clock.shift(timedelta(minutes=29))

        assert services.queue_heartbeat(match_id=queue.match_id, user=second).position == 2


def test_a_fan_silent_for_30_minutes_loses_the_place_and_rejoins_at_the_end(
        make_user, queue, django_capture_on_commit_callbacks):
    silent, other = make_user(), make_user()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.queue_join(match_id=queue.match_id, user=silent)
        services.queue_join(match_id=queue.match_id, user=other)
        clock.shift(timedelta(minutes=20))
        services.queue_heartbeat(match_id=queue.match_id, user=other)
        clock.shift(timedelta(minutes=10))

        with django_capture_on_commit_callbacks(execute=True):
            assert services.queue_sweep(match=queue.match) == {"expired": 0, "dropped": 1}
        with pytest.raises(services.NotFound):
            services.queue_heartbeat(match_id=queue.match_id, user=silent)
        assert services.queue_status(match_id=queue.match_id, user=other).position == 1
        assert services.queue_join(match_id=queue.match_id, user=silent).position == 2

    assert QueueEntry.objects.get(user=silent, status=QueueStatus.DROPPED)


def test_a_lost_heartbeat_counts_even_before_the_sweep_runs(fan, queue):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        join(fan, queue)
        clock.shift(timedelta(minutes=31))
        services.queue_join(match_id=queue.match_id, user=fan.user)

    statuses = sorted(QueueEntry.objects.filter(user=fan.user).values_list("status", flat=True))
    assert statuses == [QueueStatus.DROPPED, QueueStatus.WAITING]


def test_status_and_heartbeat_say_404_when_the_fan_is_not_in_the_queue(fan, queue):
    assert fan.get(f"/api/queue/{queue.match_id}/status").status_code == 404
    response = fan.post(f"/api/queue/{queue.match_id}/heartbeat")
    assert response.status_code == 404
    assert response.json()["error"] == "not_in_queue"


def test_it_says_404_for_an_unknown_match(fan, db):
    response = fan.post("/api/queue/999999/join")

    assert response.status_code == 404
    assert response.json()["error"] == "match_not_found"


def test_it_says_409_for_a_match_without_an_active_queue(fan, db):
    match = make_match()

    response = fan.post(f"/api/queue/{match.pk}/join")

    assert response.status_code == 409
    assert response.json()["error"] == "queue_inactive"


def test_it_refuses_an_anonymous_fan(api, queue):
    for path in ("join", "heartbeat"):
        assert api.post(f"/api/queue/{queue.match_id}/{path}").status_code == 401
    assert api.get(f"/api/queue/{queue.match_id}/status").status_code == 401


def test_a_blacklisted_fan_cannot_join(fan, queue, settings):
    settings.QUEUE_IS_BLACKLISTED = f"{__name__}.everyone_is_blacklisted"

    response = join(fan, queue)

    assert response.status_code == 403
    assert response.json()["error"] == "blacklisted"


def test_ranks_from_the_database_and_from_the_redis_index_agree(make_user, queue):
    users = [make_user() for _ in range(5)]
    entries = [services.queue_join(match_id=queue.match_id, user=u).entry for u in users]

    assert [services._position_from_db(e) for e in entries] == [1, 2, 3, 4, 5]
    assert [services.entry_position(e) for e in entries] == [1, 2, 3, 4, 5]
    assert services.queue_size(queue.match_id) == 5


@pytest.mark.skipif("django_redis" not in settings.CACHES["default"]["BACKEND"],
                    reason="needs REDIS_URL")
def test_the_redis_index_heals_itself_after_redis_lost_it(make_user, queue):
    users = [make_user() for _ in range(3)]
    entries = [services.queue_join(match_id=queue.match_id, user=u).entry for u in users]
    services._redis().delete(services._zset(queue.match_id))

    assert services.rank_index_sync(match_id=queue.match_id)
    assert [services.entry_position(e) for e in entries] == [1, 2, 3]
    assert not services.rank_index_sync(match_id=queue.match_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_fans_joining_at_once_get_thirty_distinct_positions(make_user):
    queue = make_queue()
    users = [make_user() for _ in range(30)]
    positions = run_together(30, lambda i: services.queue_join(match_id=queue.match_id,
                                                               user=users[i]).position)

    assert sorted(positions) == list(range(1, 31))
    assert services.queue_size(queue.match_id) == 30
