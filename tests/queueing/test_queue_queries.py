"""Query budgets of the waiting room: every fan of an on-sale joins once and is admitted once, so
a query more there is a query more per order. Counted inside the test's transaction (each atomic
block adds a SAVEPOINT and a RELEASE); the join's budget includes the request's authentication
and the blacklist hook's profile lookup."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from queueing import services, tasks
from tests.queueing.factories import make_queue

pytestmark = pytest.mark.django_db

# Session, profile (blacklist hook), savepoint, config lock, the fan's latest entry, the arrival
# counter, the insert, release.
JOIN = 8
# A second join is a heartbeat: no counter, an update instead of the insert.
JOIN_AGAIN = 7
# Per admitted fan, only the push (core.notifications.push_send: the devices, the log).
ADMISSION_PER_FAN = 2


def rank_queries() -> int:
    """Place and size come from Redis, or from two COUNTs when the cache is not Redis."""
    return 0 if services._redis() else 2


def test_a_join_stays_within_its_query_budget(fan, django_assert_max_num_queries):
    queue = make_queue()
    services.queue_admission_rate_publish(match=queue.match)  # as the tick does every 5 s

    with django_assert_max_num_queries(JOIN + rank_queries()):
        assert fan.post(f"/api/queue/{queue.match_id}/join").status_code == 200
    with django_assert_max_num_queries(JOIN_AGAIN + rank_queries()):
        assert fan.post(f"/api/queue/{queue.match_id}/join").status_code == 200


def test_admission_queries_grow_only_by_each_fans_push(make_user):
    def tick_queries(fans: int) -> int:
        queue = make_queue()
        for _ in range(fans):
            services.queue_join(match_id=queue.match_id, user=make_user())
        with CaptureQueriesContext(connection) as captured:
            assert tasks.queue_tick()[queue.match_id] == fans
        return len(captured)

    assert tick_queries(6) - tick_queries(2) <= 4 * ADMISSION_PER_FAN
