"""Tickets of a person just put on the blacklist (E11-F4). Listing someone looks up the valid
tickets they already have: as a buyer, their whole orders; as a ticket holder, those single
tickets. The admin sees them and confirms; then each order's tickets become
CANCELLED_BLACKLIST, their seats go back on sale, nothing is refunded, and the buyer and the
holders are told. One transaction per order (the order, then its tickets, locked)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accessctl.models import BlacklistEntry, BlacklistStatus
from core.errors import Conflict
from core.locks import lock_rows
from ticketing.aftersale.services.endings import order_locked, tickets_end
from ticketing.aftersale.services.notify import notify_banned
from ticketing.models import Order, Profile, Ticket, TicketStatus

REASON = "a holder or the buyer is on the blacklist"


@dataclass
class BannedTickets:
    """What listing these entries would cancel: order id -> ticket ids (a buyer's whole order,
    or a holder's tickets in someone else's order)."""

    orders: dict[int, list[int]] = field(default_factory=dict)
    as_buyer: set[int] = field(default_factory=set)

    @property
    def ticket_count(self) -> int:
        return sum(len(ids) for ids in self.orders.values())


def blacklist_tickets_found(*, entries: list[BlacklistEntry]) -> BannedTickets:
    hashes = [e.oib_hash for e in entries if e.status == BlacklistStatus.ACTIVE]
    found = BannedTickets()
    if not hashes:
        return found
    buyers = Profile.objects.filter(oib_hash__in=hashes).values("user_id")
    valid = Ticket.objects.filter(status=TicketStatus.VALID)
    by_order: dict[int, list[int]] = defaultdict(list)
    for ticket_id, order_id in (valid.filter(order__buyer__in=buyers)
                                .values_list("id", "order_id").order_by("order_id", "id")):
        by_order[order_id].append(ticket_id)
    found.as_buyer = set(by_order)
    for ticket_id, order_id in (valid.filter(order_item__oib_hash__in=hashes)
                                .exclude(order_id__in=found.as_buyer)
                                .values_list("id", "order_id").order_by("order_id", "id")):
        by_order[order_id].append(ticket_id)
    found.orders = dict(by_order)
    return found


def banned_tickets_preview(found: BannedTickets) -> list[dict]:
    """One row per order, for the admin to read before confirming."""
    orders = (Order.objects.filter(pk__in=found.orders).select_related("match", "buyer")
              .annotate(valid=Count("tickets", filter=Q(tickets__status=TicketStatus.VALID)))
              .order_by("pk"))
    return [{"order_id": o.pk, "order_number": o.number, "buyer_email": o.buyer.email,
             "match": str(o.match), "scope": "order" if o.pk in found.as_buyer else "tickets",
             "ticket_ids": found.orders[o.pk], "valid_tickets": o.valid} for o in orders]


def blacklist_tickets_cancel(*, entries: list[BlacklistEntry], actor) -> int:
    """Cancel, without a refund, what `blacklist_tickets_found` finds now (looked up again, so a
    sale completed since the preview is included). Returns how many tickets ended."""
    if any(e.status != BlacklistStatus.ACTIVE for e in entries):
        raise Conflict("A removed entry cancels nothing; restore it first.",
                       code="blacklist_removed")
    found = blacklist_tickets_found(entries=entries)
    now, ended = timezone.now(), 0
    for order_id, ticket_ids in sorted(found.orders.items()):
        with transaction.atomic():
            order = order_locked(order_id)
            tickets = lock_rows(Ticket.objects.select_related("order_item").filter(
                pk__in=ticket_ids, status=TicketStatus.VALID))
            if not tickets:
                continue  # ended meanwhile
            tickets_end(order=order, tickets=tickets, to_status=TicketStatus.CANCELLED_BLACKLIST,
                        source=None, reason=REASON, actor=actor, now=now)
            notify_banned(order, tickets)
            ended += len(tickets)
    return ended
