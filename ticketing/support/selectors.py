"""Finding tickets for a caller on the phone (E10-F1): by the holder's or the buyer's OIB
(through its keyed hash), an order number, an email (buyer or holder) or the buyer's phone.
Several criteria narrow each other. Results show personal data masked."""

from django.db.models import Q, QuerySet

from core.errors import ValidationFailed
from core.oib import oib_is_valid, oib_validate
from core.pii import keyed_hash, mask, mask_email
from ticketing.models import Ticket

CRITERIA = ("oib", "order_number", "email", "phone")
MAX_RESULTS = 50


def phone_normalise(phone: str) -> str:
    return "".join(c for c in (phone or "") if c.isdigit() or c == "+")


def tickets_search(*, oib: str = "", order_number: str = "", email: str = "",
                   phone: str = "") -> QuerySet[Ticket]:
    if not any(v.strip() for v in (oib, order_number, email, phone)):
        raise ValidationFailed(f"Give at least one of {', '.join(CRITERIA)}.",
                               code="criteria_required", field="oib")
    tickets = Ticket.objects.select_related(
        "match", "inventory", "order__buyer__profile", "order_item__match_sector")
    if oib.strip():
        oib_hash = keyed_hash(oib_validate(oib.strip()))
        tickets = tickets.filter(Q(order_item__oib_hash=oib_hash)
                                 | Q(order__buyer__profile__oib_hash=oib_hash))
    if order_number.strip():
        tickets = tickets.filter(order__number__iexact=order_number.strip())
    if email.strip():
        tickets = tickets.filter(Q(order__buyer__email__iexact=email.strip())
                                 | Q(order_item__email__iexact=email.strip()))
    if phone.strip():
        tickets = tickets.filter(order__buyer__profile__phone=phone_normalise(phone))
    return tickets.order_by("-issued_at", "-id")[:MAX_RESULTS]


def ticket_summary(ticket: Ticket) -> dict:
    """What an agent reads out: the ticket in full, its people masked."""
    order, item, seat = ticket.order, ticket.order_item, ticket.inventory
    profile = getattr(order.buyer, "profile", None)
    return {
        "ticket_id": ticket.pk, "barcode": mask(ticket.barcode), "status": ticket.status,
        "match": str(ticket.match), "match_id": ticket.match_id,
        "kick_off_time": ticket.match.kick_off_time,
        "sector": item.match_sector.name, "row": seat.row_label if seat else "",
        "seat": seat.seat_number if seat else None,
        "holder_name": ticket.holder_name, "holder_oib": mask(item.oib),
        "holder_email": mask_email(item.email),
        "order_id": order.pk, "order_number": order.number,
        "buyer_email": mask_email(order.buyer.email),
        "buyer_phone": mask(profile.phone) if profile else "",
        "transfer_count": ticket.transfer_count,
    }


def support_criteria(term: str) -> dict | None:
    """What a typed search term is, for the admin's one search box: a valid OIB, an email, a
    phone number; None for anything else (searched the usual way)."""
    digits = term.lstrip("+")
    if len(term) == 11 and term.isdigit() and oib_is_valid(term):
        return {"oib": term}
    if "@" in term:
        return {"email": term}
    digits = digits.replace(" ", "")
    if term.startswith("+") or (digits.isdigit() and 8 <= len(digits) <= 15  # E.164
                                and len(term) != 11):
        return {"phone": term}
    return None
