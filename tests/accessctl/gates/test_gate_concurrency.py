"""Gates under contention, on PostgreSQL with threads: one ticket scanned at many gates at the
same moment enters once; a match's spare codes, taken by orders completing at once, go to one
ticket each."""

from collections import Counter

import pytest
from django.utils import timezone

from accessctl.gates.models import ExtraBarcode, GateScan
from accessctl.gates.receivers import spare_barcodes
from accessctl.gates.services.scans import gate_device_create, gate_scan
from tests.concurrency import run_together
from tests.seating.factories import make_match
from ticketing.models import Ticket, TicketStatus
from ticketing.services.tickets import qr_rotating_payload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_ticket_at_ten_gates_at_once_enters_once(paid, match):
    ticket = paid(1).tickets.get()
    devices = [gate_device_create(name=f"d{i}", gate=f"Gate {i}")[0] for i in range(10)]
    code = qr_rotating_payload(ticket, timezone.now())

    results = run_together(10, lambda i: gate_scan(device=devices[i], match_id=match.pk,
                                                   code=code, scan_id=f"s{i}"))

    outcomes = Counter(r.result if isinstance(r, GateScan) else repr(r) for r in results)
    assert outcomes == {"ACCEPTED": 1, "REFUSED": 9}, results
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ATTENDED


def test_spare_codes_taken_at_once_go_to_one_ticket_each(db):
    match = make_match()
    ExtraBarcode.objects.bulk_create(ExtraBarcode(match=match, barcode=f"{n:018d}")
                                     for n in range(30))

    def take(_i):
        from django.db import transaction

        with transaction.atomic():
            return spare_barcodes(sender=Ticket, match_id=match.pk, count=3)

    results = run_together(10, take)

    codes = [c for r in results for c in r]
    assert len(codes) == len(set(codes)) == 30
    assert not ExtraBarcode.objects.filter(is_used=False).exists()
