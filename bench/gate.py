"""Gate scanning benchmark (not a test): 35,000 fans through 20 gates.

    flock /tmp/bench.lock .venv/bin/python bench/gate.py [orders]

Setup, not timed: the sold-out Maksimir match of bench/match_cancel.py (17,500 two-seat orders
by default, 34,938 tickets) in a fresh `ticketing_bench` database, 20 gate devices, and each
ticket's rotating app code of this moment.

Timed: every ticket scanned once through `gate_scan` (the service behind POST /api/gate/scan),
20 threads (the gates) at once, each with its own database connection, then 1,000 of them
scanned again (refused: already entered). Prints scans/s and the p50 / p99 of one scan, and
checks that every ticket entered exactly once.
"""

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import django_bench  # noqa: E402

GATES = 20


def main() -> None:
    orders_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 17_500
    django_bench(name="gate", CELERY_TASK_ALWAYS_EAGER="false")
    from django.db import connection
    from django.utils import timezone
    from match_cancel import sold_out_match

    from accessctl.gates.models import GateScan
    from accessctl.gates.services.scans import gate_device_create, gate_scan
    from ticketing.models import Ticket, TicketStatus
    from ticketing.services.tickets import qr_rotating_payload

    started = time.perf_counter()
    match, _orders = sold_out_match(orders_wanted)
    devices = [gate_device_create(name=f"Scanner {n}", gate=f"Gate {n}")[0]
               for n in range(GATES)]
    tickets = list(Ticket.objects.filter(match=match).only("barcode", "match_id")
                   .order_by("?"))
    codes = tickets  # each app shows the code of the moment its fan reaches the gate
    print(f"Setup: {len(tickets):,} tickets, {GATES} gates in "
          f"{time.perf_counter() - started:.1f} s")

    def gate(n: int, batch: list[str], prefix: str) -> list[float]:
        took = []
        try:
            for i, ticket in enumerate(batch):
                code = qr_rotating_payload(ticket, timezone.now())
                t0 = time.perf_counter()
                gate_scan(device=devices[n], match_id=match.pk, code=code,
                          scan_id=f"{prefix}-{n}-{i}")
                took.append(time.perf_counter() - t0)
        finally:
            connection.close()
        return took

    def run(batch_codes: list, prefix: str, gates: int = GATES) -> tuple[float, list[float]]:
        shares = [batch_codes[n::gates] for n in range(gates)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(gates) as pool:
            took = [s for part in pool.map(lambda n: gate(n, shares[n], prefix), range(gates))
                    for s in part]
        return time.perf_counter() - t0, took

    _, alone = run(codes[:1000], "alone", gates=1)  # one gate: what a scan costs
    alone.sort()
    print(f"One gate, 1,000 entries: a scan takes p50 {statistics.median(alone) * 1000:.1f} ms,"
          f" p99 {alone[int(len(alone) * 0.99)] * 1000:.1f} ms")
    elapsed, took = run(codes[1000:], "in")
    took.sort()
    print(f"{GATES} gates, {len(codes) - 1000:,} entries in {elapsed:.1f} s: "
          f"{(len(codes) - 1000) / elapsed:,.0f} scans/s; one scan p50 "
          f"{statistics.median(took) * 1000:.1f} ms, p99 {took[int(len(took) * 0.99)] * 1000:.1f}"
          " ms (20 threads of one process on this host's cores)")
    _, again = run(codes[:1000], "again")
    again.sort()
    print(f"1,000 repeat scans (refused): p99 {again[int(len(again) * 0.99)] * 1000:.1f} ms")

    attended = Ticket.objects.filter(match=match, status=TicketStatus.ATTENDED).count()
    accepted = GateScan.objects.filter(result="ACCEPTED").count()
    assert attended == accepted == len(codes), (attended, accepted)
    assert GateScan.objects.filter(scan_id__startswith="again", result="REFUSED").count() == 1000
    print("OK: every ticket entered exactly once")


if __name__ == "__main__":
    main()
