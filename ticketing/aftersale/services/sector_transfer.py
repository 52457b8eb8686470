"""Moving tickets to another sector (E3-F6): a closed stand, a broken row. The destination's
seats come from the allocation service (the snake, best available), an order's tickets
together; the tickets and their order items point to the new seats, the old seats become
BLOCKED, the holders are told their new seat. All or nothing: one order that does not fit is
409 and nothing has moved."""

import secrets
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from core.audit import audit_record
from core.errors import ValidationFailed
from core.locks import lock_rows
from core.notifications import TemplateKey, email_send, push_send
from seating.models import MatchSector, SeatInventory, SeatStatus
from seating.services.allocation import Hold, allocate
from seating.services.inventory import seats_transition
from ticketing.aftersale.services.endings import order_locked
from ticketing.models import OrderItem, Ticket, TicketStatus

# Sent inside the transaction with `moves` {ticket id: new inventory id}: quota seats follow.
tickets_seat_changed = Signal()


def _tickets(ticket_ids: list[int] | None, seat_ids: list[int] | None) -> list[Ticket]:
    if bool(ticket_ids) == bool(seat_ids):
        raise ValidationFailed("Give either ticket_ids or seat_ids.", field="ticket_ids",
                               code="tickets_or_seats")
    wanted = sorted(set(ticket_ids or seat_ids))
    key = "pk__in" if ticket_ids else "inventory_id__in"
    tickets = list(Ticket.objects.filter(**{key: wanted}, status=TicketStatus.VALID,
                                         inventory__isnull=False))
    found = {t.pk if ticket_ids else t.inventory_id for t in tickets}
    missing = sorted(set(wanted) - found)
    if missing:
        raise ValidationFailed(f"No valid seated ticket for {missing}.",
                               field="ticket_ids" if ticket_ids else "seat_ids",
                               code="ticket_not_found")
    return tickets


def sector_transfer(*, destination_sector_id: int, reason: str, actor,
                    ticket_ids: list[int] | None = None,
                    seat_ids: list[int] | None = None) -> dict[int, SeatInventory]:
    """{ticket id: its new seat}."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the tickets move: the holders are told.",
                               field="reason", code="reason_required")
    tickets = _tickets(ticket_ids, seat_ids)
    match_ids = {t.match_id for t in tickets}
    if len(match_ids) != 1:
        raise ValidationFailed("Move tickets of one match at a time.", field="ticket_ids",
                               code="several_matches")
    destination = MatchSector.objects.filter(pk=destination_sector_id,
                                             match_id=match_ids.pop()).first()
    if destination is None or not destination.is_numbered:
        raise ValidationFailed("The destination must be a numbered sector of the same match.",
                               field="destination_sector_id", code="invalid_destination")
    by_order: dict[int, list[int]] = defaultdict(list)
    for ticket in tickets:
        by_order[ticket.order_id].append(ticket.pk)
    moves: dict[int, SeatInventory] = {}
    with transaction.atomic():
        for order_id in sorted(by_order):
            order = order_locked(order_id)
            locked = lock_rows(Ticket.objects.select_related("order_item", "inventory")
                               .filter(pk__in=by_order[order_id], status=TicketStatus.VALID))
            if len(locked) != len(by_order[order_id]):
                raise ValidationFailed("A ticket changed meanwhile; try again.",
                                       field="ticket_ids", code="ticket_not_valid")
            if any(t.order_item.match_sector_id == destination.pk for t in locked):
                raise ValidationFailed("Some tickets are in the destination sector already.",
                                       field="destination_sector_id", code="same_sector")
            moves |= _order_move(order, locked, destination, reason=reason, actor=actor)
        old = sorted(t.inventory_id for t in tickets)
        seats_transition(inventory_ids=old, to_status=SeatStatus.BLOCKED,
                         from_statuses={SeatStatus.SOLD}, reason=f"moved: {reason}"[:200],
                         actor=actor)
        tickets_seat_changed.send(sender=Ticket, moves={k: v.pk for k, v in moves.items()})
        audit_record(actor=actor, action="tickets.sector_transfer", obj=destination,
                     after={"reason": reason, "moves": {
                         str(t.pk): [t.inventory_id, moves[t.pk].pk] for t in tickets}})
    return moves


def _order_move(order, tickets: list[Ticket], destination: MatchSector, *, reason: str,
                actor) -> dict[int, SeatInventory]:
    """New adjacent seats for one order's tickets (NotEnoughSeats, 409, otherwise)."""
    owner = f"transfer:{secrets.token_hex(6)}"
    allocation = allocate(match=order.match, quantity=len(tickets), sectors=[destination],
                          hold=Hold(owner=owner, until=timezone.now() + timedelta(minutes=5),
                                    user=actor, reason=f"sector transfer: {reason}"[:200]))
    seats_transition(inventory_ids=allocation.inventory_ids, to_status=SeatStatus.SOLD,
                     from_statuses={SeatStatus.RESERVED}, reason=f"moved in: {reason}"[:200],
                     actor=actor, order_id=order.pk)
    new_seats = {s.pk: s for s in SeatInventory.objects.filter(pk__in=allocation.inventory_ids)}
    tickets = sorted(tickets, key=lambda t: (t.inventory.row_label, t.inventory.seat_number))
    moves = {}
    for ticket, seat_id in zip(tickets, allocation.inventory_ids, strict=True):
        seat = new_seats[seat_id]
        Ticket.objects.filter(pk=ticket.pk).update(inventory_id=seat.pk)
        OrderItem.objects.filter(pk=ticket.order_item_id).update(
            inventory_id=seat.pk, match_sector_id=destination.pk)
        moves[ticket.pk] = seat
        _notify(order, ticket, seat, destination, reason)
    return moves


def _notify(order, ticket: Ticket, seat: SeatInventory, sector: MatchSector, reason: str):
    match = f"{order.match.home_team} v {order.match.away_team}"
    where = {"sector": sector.name, "row": seat.row_label, "seat": str(seat.seat_number)}
    emails = {order.buyer.email.lower(): order.buyer.email}
    if ticket.order_item.email:
        emails.setdefault(ticket.order_item.email.lower(), ticket.order_item.email)
    for email in emails.values():
        email_send(template_key=TemplateKey.SEAT_CHANGE, to=email,
                   variables={"name": ticket.holder_name, "match": match, "reason": reason,
                              **where})
    push_send(user=order.buyer, notification_type="seat_change", title="Your seat has changed",
              body=f"{ticket.holder_name}: {sector.name}, row {seat.row_label}, "
                   f"seat {seat.seat_number} ({reason})",
              data={"ticket_id": str(ticket.pk)})
