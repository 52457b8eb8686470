"""Racing threads against the real database, for the PostgreSQL concurrency tests."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(count: int, work: Callable[[int], object], *,
                 max_connections: int | None = None) -> list:
    """Call work(0) … work(count - 1), each in its own thread, all released at the same moment.
    Returns what each call returned, or the exception it raised. Every thread closes its own
    database connection; `max_connections` caps how many hold one at once (the shared server
    allows 100)."""
    barrier = threading.Barrier(count)
    gate = threading.Semaphore(max_connections or count)
    results: list = [None] * count

    def runner(index: int) -> None:
        barrier.wait()
        with gate:
            try:
                results[index] = work(index)
            except Exception as error:  # returned to the test, which decides what it means
                results[index] = error
            finally:
                connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
