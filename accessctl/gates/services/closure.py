"""Closing a match with its attendance (E2-F9, E13-F2). The gate vendor's file (CSV or XLSX, a
`barcode` column and optionally `scan_timestamp`) marks its tickets ATTENDED; codes that match
no valid ticket of the match are listed as NOT_FOUND, ALREADY_CANCELLED or INVALID_FORMAT.
Without a file a reason is required and every valid ticket counts as attended. The attendance
and the closure are one transaction: a file that cannot be read changes nothing. After commit
the loyalty award runs for the match."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accessctl.gates.models import AttendanceImport, AttendanceUnmatched, UnmatchedReason
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_rows
from core.tables import malformed, table_read
from core.transactions import enqueue_on_commit
from seating.models import Match, MatchStatus
from seating.services.matches import match_get, match_status_change
from ticketing.loyalty.tasks import loyalty_award_task
from ticketing.models import Ticket, TicketStatus
from ticketing.services.tickets import BARCODE_DIGITS

COLUMNS = {"barcode": "barcode", "code": "barcode", "ticket": "barcode",
           "scan_timestamp": "scan_timestamp", "scanned_at": "scan_timestamp",
           "scan_time": "scan_timestamp", "timestamp": "scan_timestamp"}
CHUNK = 5000


def match_close(*, actor, match_id: int, file_name: str = "", content: bytes | None = None,
                reason: str = "", request=None) -> AttendanceImport:
    match = Match.objects.filter(pk=match_id, is_deleted=False).first()
    if match is None:
        raise NotFound("No such match.", code="match_not_found")
    if match.status == MatchStatus.CLOSED:
        raise Conflict("This match is closed already; its attendance is in its report.",
                       code="match_closed")
    reason = reason.strip()
    if content is None and not reason:
        raise ValidationFailed("Upload the gates' attendance file, or say why there is none "
                               "(every valid ticket then counts as attended).",
                               field="reason", code="reason_required")
    scans = _scans_read(content, file_name) if content is not None else None
    now = timezone.now()
    with transaction.atomic():
        # The lock order of match changes: the match, then its tickets. A second closure at
        # the same moment waits here, then finds the match closed.
        if match_get(match_id=match.pk, lock=True).status == MatchStatus.CLOSED:
            raise Conflict("This match is closed already; its attendance is in its report.",
                           code="match_closed")
        record = AttendanceImport.objects.create(match=match, file_name=file_name[:255],
                                                 reason=reason[:500], imported_by=actor)
        if scans is None:
            record.matched_count = Ticket.objects.filter(  # one conditional UPDATE
                match=match, status=TicketStatus.VALID).update(
                status=TicketStatus.ATTENDED, attended_at=now)
            record.total_scanned = record.matched_count
        else:
            _attendance_apply(record, scans, now)
        record.save()
        # Last, so a match that cannot close (already closed, cancelled) undoes it all.
        if match.status == MatchStatus.PUBLISHED:  # the sale never went ACTIVE: step through
            match_status_change(match_id=match.pk, to_status=MatchStatus.ACTIVE, actor=actor,
                                reason="closing", request=request)
        match_status_change(match_id=match.pk, to_status=MatchStatus.CLOSED, actor=actor,
                            reason=reason or f"attendance file {file_name}", request=request)
    enqueue_on_commit(loyalty_award_task, match.pk)
    return record


def _scans_read(content: bytes, file_name: str) -> dict[str, datetime | None]:
    """{barcode as written: when it was scanned}, each code once (the first scan)."""
    rows = table_read(content, file_name=file_name,
                      max_rows=settings.ATTENDANCE_IMPORT_MAX_ROWS,
                      max_bytes=settings.ATTENDANCE_IMPORT_MAX_BYTES, header_check=_header)
    scans: dict[str, datetime | None] = {}
    for row in rows:
        code = row.values.get("barcode", "")
        if code and code not in scans:
            scans[code] = _when(row.values.get("scan_timestamp", ""))
    return scans


def _header(names: list[str]) -> list[str]:
    columns = [COLUMNS.get(name.strip().lower().replace(" ", "_"), name) for name in names]
    if "barcode" not in columns:
        raise malformed("The attendance file needs a 'barcode' column.")
    return columns


def _when(raw: str) -> datetime | None:
    """The scan time; None when there is none or it is no real date (the closure's time is
    used then)."""
    try:
        value = parse_datetime(raw.replace("/", "-")) if raw else None
    except ValueError:
        return None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _attendance_apply(record: AttendanceImport, scans: dict, now) -> None:
    """Matched VALID tickets become ATTENDED at their scan time (a ticket a gate scan marked
    already keeps its own); the rest are reported."""
    well_formed = [c for c in scans if c.isdigit() and len(c) == BARCODE_DIGITS]
    formed = set(well_formed)
    unmatched = [AttendanceUnmatched(attendance=record, barcode=c[:100],
                                     scan_timestamp=scans[c],
                                     reason=UnmatchedReason.INVALID_FORMAT)
                 for c in scans if c not in formed]
    matched = 0
    for start in range(0, len(well_formed), CHUNK):
        codes = well_formed[start:start + CHUNK]
        found = {t.barcode: (t.pk, t.status) for t in lock_rows(  # a refund waits, or went first
            Ticket.objects.filter(match=record.match, barcode__in=codes).only(
                "pk", "barcode", "status"))}
        entering = [Ticket(pk=found[c][0], status=TicketStatus.ATTENDED,
                           attended_at=scans[c] or now)
                    for c in codes if c in found and found[c][1] == TicketStatus.VALID]
        Ticket.objects.bulk_update(entering, ["status", "attended_at"], batch_size=1000)
        for code in codes:
            status = found.get(code, (None, None))[1]
            if status in (TicketStatus.VALID, TicketStatus.ATTENDED):
                matched += 1
            else:
                unmatched.append(AttendanceUnmatched(
                    attendance=record, barcode=code, scan_timestamp=scans[code],
                    reason=UnmatchedReason.NOT_FOUND if status is None
                    else UnmatchedReason.ALREADY_CANCELLED))
    AttendanceUnmatched.objects.bulk_create(unmatched, batch_size=1000)
    record.total_scanned, record.matched_count = len(scans), matched
    record.unmatched_count = len(unmatched)
