"""What a wallet pass shows, the same for Apple and Google: match, kick-off, venue, sector,
row and seat, holder, and the ticket's signed QR (HNS1, the static code the gates accept;
the app's rotating one cannot live in a pass). Served only within the visibility rules of
E9-F2 (the QR from 5 hours before kick-off) and only for a VALID ticket; a pass is named by
the ticket and its current barcode, so after a transfer (a new barcode) the old pass is
never served again and the gates refuse its code."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from core.errors import Conflict
from ticketing.models import TicketStatus
from ticketing.services import tickets as ticket_service
from ticketing.services.tickets import Tier


@dataclass(frozen=True)
class PassContent:
    serial: str
    match_id: int
    match: str
    kick_off: datetime
    venue: str
    sector: str
    row: str
    seat: str
    holder: str
    order_number: str
    qr: str


def pass_content(*, user, ticket_id: int) -> PassContent:
    view = ticket_service.ticket_for_buyer(user=user, ticket_id=ticket_id)
    ticket = view.ticket
    if ticket.status != TicketStatus.VALID:
        raise Conflict(f"This ticket is {ticket.status}: it has no wallet pass.",
                       code="ticket_not_valid")
    if ticket.external_ticket_required:
        raise Conflict("This away match is entered with the host's PDF ticket: it has no "
                       "wallet pass.", code="external_ticket")
    if view.tier != Tier.FULL:
        opens = ticket.match.kick_off_time - ticket_service.QR_VISIBLE_BEFORE
        raise Conflict(f"The wallet pass is available from "
                       f"{timezone.localtime(opens):%d.%m.%Y %H:%M}, 5 hours before kick-off.",
                       code="pass_not_yet_available")
    match, item, seat = ticket.match, ticket.order_item, ticket.inventory
    venue = match.venue.name if match.venue_id else ""
    return PassContent(
        serial=f"{ticket.pk}-{ticket.barcode}", match_id=match.pk,
        match=f"{match.home_team} - {match.away_team}",
        kick_off=match.kick_off_time, venue=venue, sector=item.match_sector.name,
        row=seat.row_label if seat else "", seat=str(seat.seat_number) if seat else "",
        holder=ticket.holder_name, order_number=ticket.order.number or "",
        qr=ticket_service.qr_payload(ticket))


def organization() -> str:
    return settings.WALLET_ORGANIZATION_NAME
