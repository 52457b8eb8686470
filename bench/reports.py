"""Reports benchmark (not a test): the live dashboard's figures and a full sales export of a
sold-out 35,000-seat match on PostgreSQL.

    flock /tmp/bench.lock .venv/bin/python bench/reports.py [orders]

Setup, not timed: the sold-out Maksimir match of bench/match_cancel.py (17,500 two-seat orders
by default, 35,000 tickets) in a fresh `ticketing_bench` database, production settings.

Timed:
- the dashboard's KPIs (`match_kpis`, what `GET /api/admin/dashboard/match/{id}` answers:
  sold, revenue, reserved, available, seats by sector; the target is under 50 ms), the sales
  over time and by channel, and the whole dashboard (`?part=all`, what the page shows), each
  run many times: median and 95th percentile;
- the sales preview (the first 50 rows and the totals);
- a full sales export of the match (35,000 rows) as CSV and as XLSX through the export job:
  time, rows/s, and the peak Python memory (tracemalloc) of a second run, which shows the rows
  are streamed rather than held.
"""

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import django_bench  # noqa: E402

KPI_TARGET_MS = 50
RUNS = 60


def timed(function, runs: int = RUNS) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds (after one warm-up call)."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def export_once(user, match_id: int, file_format: str, *, trace: bool):
    from reports.models import ReportExportJob
    from reports.services.exports import export_run

    job = ReportExportJob.objects.create(report_type="SALES", file_format=file_format,
                                         parameters={"match_id": match_id}, requested_by=user)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    status = export_run(job.pk)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    job.refresh_from_db()
    return status, elapsed, peak, job


def main() -> None:
    orders_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 17_500
    django_bench(name="reports", CELERY_TASK_ALWAYS_EAGER="false")
    from match_cancel import sold_out_match

    from reports.services.dashboard import match_dashboard, match_kpis, sales_breakdown
    from reports.services.tables import sales_table
    from ticketing.models import Ticket, User

    started = time.perf_counter()
    match, _orders = sold_out_match(orders_wanted)
    tickets = Ticket.objects.filter(match=match).count()
    user = User.objects.create_user(email="finance@bench.hr", is_staff=True)
    print(f"Setup: {tickets:,} tickets sold at Maksimir in {time.perf_counter() - started:.1f} s")

    kpis = match_kpis(match.pk)
    median, p95 = timed(lambda: match_kpis(match.pk))
    verdict = "OK" if p95 < KPI_TARGET_MS else "OVER TARGET"
    print(f"\nDashboard KPIs: median {median:.1f} ms, p95 {p95:.1f} ms over {RUNS} runs "
          f"(target < {KPI_TARGET_MS} ms: {verdict}); sold {kpis['sold']:,}, "
          f"available {kpis['available']:,}")
    median, p95 = timed(lambda: sales_breakdown(match.pk), runs=20)
    print(f"Sales over time and by channel: median {median:.1f} ms, p95 {p95:.1f} ms")
    median, p95 = timed(lambda: match_dashboard(match.pk), runs=20)
    print(f"Whole dashboard (KPIs, sales, waiting room): median {median:.1f} ms, "
          f"p95 {p95:.1f} ms")

    def preview():
        return list(sales_table(match_id=match.pk).rows(50))

    median, p95 = timed(preview, runs=20)
    print(f"Sales preview (50 rows + totals): median {median:.1f} ms, p95 {p95:.1f} ms")

    print()
    ok = True
    for file_format in ("CSV", "XLSX"):
        status, elapsed, _, job = export_once(user, match.pk, file_format, trace=False)
        _, _, peak, traced = export_once(user, match.pk, file_format, trace=True)
        ok = ok and status == "COMPLETED" and job.rows_done == tickets == traced.rows_done
        print(f"Sales export {file_format}: {job.rows_done:,} rows in {elapsed:.2f} s "
              f"({job.rows_done / elapsed:,.0f} rows/s), file {job.file_size / 2**20:.1f} MB, "
              f"peak Python memory {peak / 2**20:.1f} MB (traced run)")
    print("\nOK" if ok else "\nCHECK FAILED")


if __name__ == "__main__":
    main()
