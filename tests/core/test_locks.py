"""core.locks: rows of one kind locked in id order (no deadlock whatever order callers name them
in), every wait bounded by DB_LOCK_TIMEOUT_MS, and a wait that runs out answered 409. Every
statement is bounded by DB_STATEMENT_TIMEOUT_MS too, and one that runs out is answered 503."""

import threading
import time

import pytest
from django.db import connection, transaction

from core.locks import LockBusy, lock_first, lock_rows
from tests.concurrency import run_together
from ticketing.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/users/me/saved-profiles"


@pytest.fixture
def users():
    return User.objects.bulk_create(
        [User(email=f"lock{i}@example.com") for i in range(300)])


def test_transactions_naming_the_same_rows_in_opposite_orders_never_deadlock(users):
    everyone = User.objects.filter(pk__in=[u.pk for u in users])

    def work(index: int) -> int:
        # Without the helper's id order, ORDER BY id DESC locks top-down while the ascending
        # half locks bottom-up: PostgreSQL breaks that deadlock on most runs.
        for _ in range(5):
            with transaction.atomic():
                lock_rows(everyone.order_by("-pk" if index % 2 else "pk"))
        return index

    results = run_together(8, work)

    assert not [r for r in results if isinstance(r, Exception)], results


def test_the_lock_helper_locks_in_id_order_whatever_the_query_asks(users):
    with transaction.atomic():
        locked = lock_rows(User.objects.filter(pk__in=[u.pk for u in users[:6]])
                           .order_by("-email"))
    assert [u.pk for u in locked] == sorted(u.pk for u in users[:6])


def _hold_lock(user_id: int, seconds: float, held: threading.Event) -> threading.Thread:
    def hold():
        with transaction.atomic():
            lock_first(User.objects.filter(pk=user_id))
            held.set()
            time.sleep(seconds)
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def _short_timeout() -> None:
    """This connection's lock_timeout as if DB_LOCK_TIMEOUT_MS were 200."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = 200")


def test_a_wait_longer_than_the_timeout_raises_lock_busy(users):
    _short_timeout()
    held = threading.Event()
    holder = _hold_lock(users[0].pk, 1.5, held)
    held.wait(5)
    started = time.monotonic()
    try:
        with pytest.raises(LockBusy), transaction.atomic():
            lock_first(User.objects.filter(pk=users[0].pk))
        waited = time.monotonic() - started
    finally:
        holder.join()
    assert waited < 1.2  # gave up at the timeout, long before the holder let go


def _save_profile_while_the_fan_is_locked(fan):
    user = User.objects.get(email="fan@example.com")
    held = threading.Event()
    holder = _hold_lock(user.pk, 1.5, held)
    held.wait(5)
    try:
        return fan.post(URL, {"first_name": "Luka", "last_name": "Horvat",
                              "date_of_birth": "2014-03-02", "nationality": "HR",
                              "oib": "69435151530", "relationship": "son"}, format="json")
    finally:
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout; RESET statement_timeout")


def test_a_request_that_waits_past_the_timeout_gets_409_try_again(fan):
    _short_timeout()
    response = _save_profile_while_the_fan_is_locked(fan)

    assert response.status_code == 409, response.content
    assert response.json()["error"] == "busy"
    assert "try again" in response.json()["detail"]


def test_every_connection_waits_for_a_lock_at_most_the_configured_time(settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == f"{settings.DB_LOCK_TIMEOUT_MS // 1000}s"


def test_every_statement_runs_at_most_the_configured_time(settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == f"{settings.DB_STATEMENT_TIMEOUT_MS // 1000}s"


def test_a_statement_past_its_timeout_gets_503_try_again_not_a_500(fan):
    with connection.cursor() as cursor:  # as if DB_STATEMENT_TIMEOUT_MS were 200, locks unbounded
        cursor.execute("SET statement_timeout = 200; SET lock_timeout = 0")
    response = _save_profile_while_the_fan_is_locked(fan)

    assert response.status_code == 503, response.content
    assert response.json()["error"] == "timeout"
    assert "try again" in response.json()["detail"]
