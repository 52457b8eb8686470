"""Attendance import benchmark (not a test): close a sold-out 35,000-seat match with the gate
vendor's 35,000-row attendance file.

    flock /tmp/bench.lock .venv/bin/python bench/attendance.py [orders]

Setup, not timed: the sold-out Maksimir match of bench/match_cancel.py (17,500 two-seat orders
by default) in a fresh `ticketing_bench` database, and an XLSX of 35,000 scans: 33,000 of its
tickets' barcodes with scan times, 1,000 codes of no ticket, 500 malformed codes and the
barcodes of 500 tickets refunded before the match.

Timed: `match_close` with that file (reading the XLSX, matching, ATTENDED, the report rows,
the closure). Prints the time, rows/s and the counts, and checks them.
"""

import io
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import django_bench  # noqa: E402

TARGET_SECONDS = 30


def attendance_file(barcodes: list[str], refunded: list[str]) -> bytes:
    from django.utils import timezone
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Scans")
    sheet.append(["barcode", "scan_timestamp"])
    start = timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)
    for n, code in enumerate(barcodes):
        sheet.append([code, (start + timedelta(seconds=n // 20)).strftime("%Y-%m-%d %H:%M:%S")])
    for n in range(1000):
        sheet.append([f"{900000000000000000 + n}", ""])
    for n in range(500):
        sheet.append([f"BAD-{n}", ""])
    for code in refunded:
        sheet.append([code, ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    orders_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 17_500
    django_bench(name="attendance", CELERY_TASK_ALWAYS_EAGER="false")
    from match_cancel import sold_out_match

    from accessctl.gates.services.closure import match_close
    from ticketing.models import Ticket, TicketStatus, User

    started = time.perf_counter()
    match, _orders = sold_out_match(orders_wanted)
    codes = list(Ticket.objects.filter(match=match).order_by("id")
                 .values_list("barcode", flat=True))
    refunded, scanned = codes[:500], codes[500:33_500]
    Ticket.objects.filter(barcode__in=refunded).update(status=TicketStatus.REFUNDED)
    content = attendance_file(scanned, refunded)
    admin = User.objects.create_user(email="manager@bench.hr", is_staff=True)
    rows = len(scanned) + 1000 + 500 + len(refunded)
    print(f"Setup: {len(codes):,} tickets, an attendance file of {rows:,} rows "
          f"({len(content) / 2**20:.1f} MB) in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    record = match_close(actor=admin, match_id=match.pk, file_name="gates.xlsx",
                         content=content)
    elapsed = time.perf_counter() - started

    attended = Ticket.objects.filter(match=match, status=TicketStatus.ATTENDED).count()
    print(f"Closed in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s; target under "
          f"{TARGET_SECONDS} s): {record.matched_count:,} matched, "
          f"{record.unmatched_count:,} unmatched, {attended:,} tickets ATTENDED")
    assert record.total_scanned == rows
    assert record.matched_count == attended == len(scanned)
    assert record.unmatched_count == 2000
    print("OK" if elapsed < TARGET_SECONDS else "SLOWER THAN THE TARGET")


if __name__ == "__main__":
    main()
