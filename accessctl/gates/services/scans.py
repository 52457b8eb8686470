"""Letting fans in (beyond the seeds): a gate device posts what it scanned and gets ACCEPTED
or REFUSED with the reason.

- The app's rotating code (`HNS2`, ticketing.services.tickets) of the current or previous
  30-second step opens the gate; a screenshot stops working within a minute.
- A static code (the signed `HNS1` or a bare barcode) opens it only for a ticket printed by
  support (an emergency reprint cannot rotate); any other copy is refused.
- A valid ticket of this match enters once: ATTENDED, with the gate and time in its scan. The
  same ticket again is refused with when and where it entered; another match's, an ended or a
  transferred-away ticket is refused with why.
- The same device retrying the same `scan_id` gets the first answer again.

Entry is one conditional UPDATE (VALID -> ATTENDED), so two gates scanning one ticket at the
same moment let it in once."""

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from accessctl.gates.models import GateDevice, GateScan, ScanResult
from core.errors import NotFound
from seating.models import Match, MatchStatus
from ticketing.aftersale.models import TransferLog
from ticketing.models import Ticket, TicketStatus
from ticketing.services.tickets import (
    QR_STEP_SECONDS,
    ROTATING_PREFIX,
    match_gate_key,
    qr_payload_verify,
    qr_rotating_verify,
)
from ticketing.support.models import PrintLog

ENDED = {TicketStatus.CANCELLED: "cancelled", TicketStatus.REFUNDED: "refunded",
         TicketStatus.CANCELLED_MATCH_CANCELLED: "cancelled with the match",
         TicketStatus.CANCELLED_BLACKLIST: "cancelled (blacklist)"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def gate_device_create(*, name: str, gate: str) -> tuple[GateDevice, str]:
    """A device and its token, shown once."""
    token = secrets.token_urlsafe(32)
    return GateDevice.objects.create(name=name, gate=gate, token_hash=token_hash(token)), token


def gate_device_of(token: str) -> GateDevice | None:
    return GateDevice.objects.filter(token_hash=token_hash(token), is_active=True).first()


def gate_key(*, match_id: int) -> dict:
    """What a device needs to check rotating codes offline for the match."""
    if not Match.objects.filter(pk=match_id, is_deleted=False,
                                status__in=(MatchStatus.PUBLISHED, MatchStatus.ACTIVE)).exists():
        raise NotFound("No such match open for entry.", code="match_not_found")
    return {"match_id": match_id, "key": match_gate_key(match_id).hex(),
            "step_seconds": QR_STEP_SECONDS, "accept_steps": [0, -1],
            "payload": f"{ROTATING_PREFIX}:<barcode>:<step>:<first 16 hex of "
                       "HMAC-SHA256(key, '<barcode>:<step>')>"}


def gate_scan(*, device: GateDevice, match_id: int, code: str, scan_id: str) -> GateScan:
    done = GateScan.objects.filter(device=device, scan_id=scan_id).first()
    if done is not None:
        return done  # a retry: the same answer
    if not Match.objects.filter(pk=match_id, is_deleted=False,
                                status__in=(MatchStatus.PUBLISHED, MatchStatus.ACTIVE)).exists():
        raise NotFound("No such match open for entry (closed matches take no scans).",
                       code="match_not_found", field="match_id")
    now = timezone.now()
    ticket, reason, message = _judge(code.strip(), match_id, now)
    result = ScanResult.REFUSED if reason else ScanResult.ACCEPTED
    try:
        with transaction.atomic():
            if not reason and not Ticket.objects.filter(
                    pk=ticket.pk, status=TicketStatus.VALID).update(
                    status=TicketStatus.ATTENDED, attended_at=now):
                result, (reason, message) = ScanResult.REFUSED, _entered(ticket)
            return GateScan.objects.create(
                device=device, match_id=match_id, ticket=ticket, scan_id=scan_id,
                code=code[:100], result=result, reason=reason, scanned_at=now,
                message=message or f"Welcome: {ticket.holder_name}")
    except IntegrityError:  # the same scan_id posted twice at once: the first answer
        return GateScan.objects.get(device=device, scan_id=scan_id)


def _judge(code: str, match_id: int, now) -> tuple[Ticket | None, str, str]:
    """(the ticket, the refusal's reason or "", its message)."""
    rotating = code.startswith(f"{ROTATING_PREFIX}:")
    barcode = (code.split(":")[1] if rotating and code.count(":") == 3
               else qr_payload_verify(code) or code)
    ticket = Ticket.objects.select_related("match").filter(barcode=barcode).first()
    if ticket is None:
        if TransferLog.objects.filter(from_barcode=barcode).exists():
            return None, "TRANSFERRED", ("This ticket was transferred to someone else: only "
                                         "the new holder's code opens the gate.")
        return None, "UNKNOWN", "Not a ticket code of ours."
    if rotating and qr_rotating_verify(code, match_id=ticket.match_id, now=now) is None:
        return ticket, "EXPIRED_CODE", ("This code has expired or is forged (a screenshot?): "
                                        "open the ticket in the app again.")
    if not rotating and not PrintLog.objects.filter(ticket=ticket).exists():
        return ticket, "STATIC_CODE", ("A copied code: show the ticket in the app (its code "
                                       "changes every 30 seconds).")
    if ticket.match_id != match_id:
        return ticket, "WRONG_MATCH", f"This ticket is for {ticket.match}."
    if ticket.status == TicketStatus.ATTENDED:
        return (ticket, *_entered(ticket))
    if ticket.status in ENDED:
        return ticket, "TICKET_ENDED", f"This ticket was {ENDED[ticket.status]}."
    return ticket, "", ""


def _entered(ticket: Ticket) -> tuple[str, str]:
    first = (GateScan.objects.select_related("device")
             .filter(ticket=ticket, result=ScanResult.ACCEPTED).order_by("scanned_at").first())
    where = (f" at {first.device.gate}, {timezone.localtime(first.scanned_at):%H:%M:%S}"
             if first else "")
    return "ALREADY_ENTERED", f"This ticket already entered{where}."
