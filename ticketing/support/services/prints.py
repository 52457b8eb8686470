"""Emergency reprints (E10-F4): a valid ticket printed on paper by an agent for a fan whose
phone is gone, watermarked "EMERGENCY REPRINT", each print logged (agent, reason, the identity
check, where). A later print of the same ticket says when and by whom the first was made."""

import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_one
from ticketing.models import Ticket, TicketStatus
from ticketing.services.tickets import qr_png
from ticketing.support.models import PrintLog

WATERMARK = "EMERGENCY REPRINT"
# A font with Croatian letters (Debian's fonts-dejavu-core); without it, Helvetica and the
# letters it lacks written plain (č -> c).
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@dataclass
class Printed:
    log: PrintLog
    pdf: bytes
    earlier: list[PrintLog]  # the ticket's earlier prints, newest first

    @property
    def warning(self) -> str:
        return print_warning(self.earlier)


def print_warning(earlier: list[PrintLog]) -> str:
    """Empty before a first print; else when and by whom the ticket was first printed."""
    if not earlier:
        return ""
    first = earlier[-1]
    return (f"Duplicate print: this ticket was printed {len(earlier)} time(s) before, first "
            f"on {timezone.localtime(first.printed_at):%d.%m.%Y %H:%M} by {first.agent.email}.")


def ticket_prints(ticket_id: int) -> list[PrintLog]:
    return list(PrintLog.objects.select_related("agent").filter(ticket_id=ticket_id))


def ticket_print(*, agent, ticket_id: int, reason: str, identity_verified: bool,
                 document_type: str, location: str) -> Printed:
    """Log the print and make the PDF. The ticket's row is locked, so two agents printing it
    at once are told of each other."""
    if not identity_verified:
        raise ValidationFailed("Check the fan's identity document before printing a ticket.",
                               field="identity_verified", code="identity_not_verified")
    with transaction.atomic():
        try:
            ticket = lock_one(Ticket.objects.select_related(
                "match__venue", "inventory", "order_item__match_sector").filter(pk=ticket_id))
        except Ticket.DoesNotExist:
            raise NotFound("No such ticket.", code="ticket_not_found") from None
        if ticket.status != TicketStatus.VALID:
            raise Conflict(f"This ticket is {ticket.status}: only a valid ticket is printed.",
                           code="ticket_not_valid")
        earlier = ticket_prints(ticket.pk)
        log = PrintLog.objects.create(
            ticket=ticket, agent=agent, reason=reason.strip(), identity_verified=True,
            verification_document_type=document_type, print_location=location.strip())
        audit_record(actor=agent, action="ticket.printed", obj=ticket,
                     after={"print_log_id": log.pk, "reason": log.reason,
                            "document_type": document_type, "location": log.print_location,
                            "earlier_prints": len(earlier)})
    printed = Printed(log=log, pdf=b"", earlier=earlier)
    printed.pdf = ticket_pdf(ticket, log=log, warning=printed.warning)
    return printed


def ticket_pdf(ticket: Ticket, *, log: PrintLog, warning: str) -> bytes:
    """One A4 page: the match, the seat, the holder, the QR code the gates scan, and the
    watermark across the page behind them."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Ticket {ticket.pk} - {WATERMARK}")
    width, height = A4
    _watermark(pdf, width, height)
    match, seat, item = ticket.match, ticket.inventory, ticket.order_item
    kick_off = timezone.localtime(match.kick_off_time)
    y = height - 30 * mm
    regular, bold, text = _fonts()
    pdf.setFont(bold, 20)
    pdf.drawString(20 * mm, y, text(str(match)))
    pdf.setFont(regular, 12)
    lines = [f"{kick_off:%d.%m.%Y %H:%M}" + (f" - {match.venue}" if match.venue else ""),
             f"Sector {item.match_sector.name}" + (
                 f", row {seat.row_label}, seat {seat.seat_number}" if seat else " (standing)"),
             f"Holder: {ticket.holder_name}",
             f"Ticket {ticket.barcode}"]
    for line in lines:
        y -= 9 * mm
        pdf.drawString(20 * mm, y, text(line))
    size = 80 * mm
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(ticket))), (width - size) / 2,
                  y - 15 * mm - size, size, size)
    pdf.setFont(regular, 9)
    footer = (f"{WATERMARK} {timezone.localtime(log.printed_at):%d.%m.%Y %H:%M} by "
              f"{log.agent.email} at {log.print_location} (print {log.pk}). Only the "
              "latest QR code opens the gate.")
    pdf.drawString(20 * mm, 25 * mm, text(footer))
    if warning:
        pdf.setFillColorRGB(0.75, 0, 0)
        pdf.drawString(20 * mm, 19 * mm, text(warning))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _watermark(pdf: Canvas, width: float, height: float) -> None:
    pdf.saveState()
    pdf.setFillColorRGB(0.85, 0.85, 0.85)
    pdf.setFont("Helvetica-Bold", 52)
    pdf.translate(width / 2, height / 2)
    pdf.rotate(35)
    pdf.drawCentredString(0, 120, WATERMARK)
    pdf.drawCentredString(0, -260, WATERMARK)
    pdf.restoreState()


@cache
def _fonts() -> tuple[str, str, object]:
    """(regular, bold, text) where `text` makes a string printable in them."""
    if (DEJAVU / "DejaVuSans.ttf").exists() and (DEJAVU / "DejaVuSans-Bold.ttf").exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", DEJAVU / "DejaVuSans.ttf"))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", DEJAVU / "DejaVuSans-Bold.ttf"))
        return "DejaVuSans", "DejaVuSans-Bold", str
    return "Helvetica", "Helvetica-Bold", _latin1


def _latin1(value: str) -> str:
    return "".join(c if c.encode("cp1252", "ignore") else
                   unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
                   for c in value)
