"""The barcode export for the gate vendor (E2-F8, E13-F1): an XLSX with one column, the
barcodes of every valid ticket of the match plus ACCESS_EXPORT_EXTRA_CODES spare codes (no
personal data). A ticket issued or re-coded after the export takes a spare code
(`receivers.spare_barcodes`), so the gates already know it. Each export is logged."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from accessctl.gates.models import BarcodeExportLog, ExtraBarcode
from core.errors import NotFound
from core.locks import lock_name
from seating.models import Match
from ticketing.models import Ticket, TicketStatus
from ticketing.services.tickets import barcode_new


@dataclass
class Export:
    file_name: str
    content: bytes
    log: BarcodeExportLog


def access_export(*, actor, match_id: int) -> Export:
    match = Match.objects.filter(pk=match_id, is_deleted=False).first()
    if match is None:
        raise NotFound("No such match.", code="match_not_found")
    now = timezone.localtime()
    with transaction.atomic():
        lock_name(f"access-export:{match_id}")  # two exports at once top the spares up once
        spares = _spares_top_up(match)
        tickets = list(Ticket.objects.filter(match=match, status=TicketStatus.VALID)
                       .order_by("id").values_list("barcode", flat=True))
        file_name = f"{match.pk}_TicketExport_{now:%Y%m%d_%H%M}.xlsx"
        log = BarcodeExportLog.objects.create(
            match=match, file_name=file_name, total_barcodes=len(tickets) + len(spares),
            extra_barcodes=len(spares), exported_by=actor)
    return Export(file_name=file_name, content=_workbook([*tickets, *spares]), log=log)


def _spares_top_up(match: Match) -> list[str]:
    """The match's unused spare codes, made up to ACCESS_EXPORT_EXTRA_CODES."""
    free = list(ExtraBarcode.objects.filter(match=match, is_used=False)
                .order_by("id").values_list("barcode", flat=True))
    wanted = settings.ACCESS_EXPORT_EXTRA_CODES - len(free)
    if wanted > 0:
        taken = set(Ticket.objects.filter(match=match).values_list("barcode", flat=True))
        codes = set()
        while len(codes) < wanted:
            code = barcode_new()
            if code not in taken:
                codes.add(code)
        ExtraBarcode.objects.bulk_create([ExtraBarcode(match=match, barcode=c) for c in codes],
                                         batch_size=1000, ignore_conflicts=True)
        free = list(ExtraBarcode.objects.filter(match=match, is_used=False)
                    .order_by("id").values_list("barcode", flat=True))
    return free


def _workbook(barcodes: list[str]) -> bytes:
    """One sheet, one text column: barcodes only (18 digits would lose precision as numbers)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Barcodes")
    sheet.append(["barcode"])
    for code in barcodes:
        sheet.append([code])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
