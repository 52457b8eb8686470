"""The one way to take row locks (STYLE.md 2): rows of one kind in id order, and a wait that
runs out raised as `LockBusy` (409 "try again") instead of a hang or a 500. Every wait is
bounded by `DB_LOCK_TIMEOUT_MS`, PostgreSQL's `lock_timeout` set on each connection
(config/settings.py): no extra statement per transaction, and plain UPDATEs are bounded too.
Which locks a request may hold together, and in which order: docs/architecture.md ("Row locks").

    seats = lock_rows(SeatInventory.objects.filter(id__in=ids))
    quota = lock_one(Quota.objects.filter(pk=root_id))
    with lock_wait():
        cursor.execute("SELECT … WHERE id = %s" + lock_clause(), [pk])
"""

from contextlib import contextmanager

from django.db import DatabaseError, connection

from core.errors import Conflict

# PostgreSQL's lock_not_available (lock_timeout ran out) and deadlock_detected.
LOCK_FAILURES = {"55P03", "40P01"}


class LockBusy(Conflict):
    code = "busy"

    def __init__(self):
        super().__init__("Someone else is changing this right now; please try again.")


def lock_failure(exc: BaseException) -> bool:
    """Whether a database error is a lock wait that ran out (or a deadlock PostgreSQL broke)."""
    return isinstance(exc, DatabaseError) and (
        getattr(exc.__cause__, "sqlstate", None) in LOCK_FAILURES)


@contextmanager
def lock_wait():
    """Around hand-written locking SQL (and the PL/pgSQL that locks), and ORM calls that lock
    on their own: a lock wait that runs out becomes `LockBusy`."""
    try:
        yield
    except DatabaseError as exc:
        if lock_failure(exc):
            raise LockBusy() from exc
        raise


def lock_clause(of: str = "", *, shared: bool = False) -> str:
    """The row-lock clause (`FOR UPDATE [OF alias]`, or `FOR SHARE` to keep a row from
    changing while many readers go on) for hand-written SQL run in `lock_wait`, where the
    database has row locks; SQLite serialises writers instead."""
    if not connection.features.has_select_for_update:
        return ""
    mode = " FOR SHARE" if shared else " FOR UPDATE"
    return f"{mode} OF {of}" if of else mode


def lock_rows(queryset, *, skip_locked: bool = False, limit: int | None = None) -> list:
    """Lock and return the rows of `queryset` (one model) in id order, so two transactions
    locking overlapping sets never deadlock. Joined `select_related` tables are not locked.
    With `skip_locked`, rows another transaction holds are left out instead of waited for."""
    queryset = queryset.select_for_update(skip_locked=skip_locked, of=("self",)).order_by("pk")
    with lock_wait():
        return list(queryset[:limit] if limit else queryset)


def lock_first(queryset, *, latest: bool = False, skip_locked: bool = False):
    """Lock and return the first row (by id; the last with `latest`) of `queryset`, or None
    (also, with `skip_locked`, when another transaction holds it)."""
    queryset = (queryset.select_for_update(skip_locked=skip_locked, of=("self",))
                .order_by("-pk" if latest else "pk"))
    with lock_wait():
        return queryset.first()


def lock_one(queryset):
    """Lock and return the one row of `queryset` (`DoesNotExist` when there is none)."""
    row = lock_first(queryset)
    if row is None:
        raise queryset.model.DoesNotExist(f"No {queryset.model.__name__} to lock.")
    return row


def lock_name(name: str) -> None:
    """A transaction-long lock on a name rather than a row (PostgreSQL's advisory lock), for a
    rule over rows that may not exist yet, e.g. "at most 4 tickets per holder of a match".
    SQLite serialises writers instead."""
    if connection.vendor != "postgresql":
        return
    with lock_wait(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
