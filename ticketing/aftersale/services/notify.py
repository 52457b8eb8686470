"""The emails and pushes of the after-sale (logged once the change commits, delivered by the
notification tasks)."""

from django.db import transaction

from core.notifications import TemplateKey, email_send, push_send
from ticketing.models import Order, Ticket


def match_name(order: Order) -> str:
    return f"{order.match.home_team} v {order.match.away_team}"


def notify_cancelled(order: Order, tickets: list[Ticket], *, reason: str, amount) -> None:
    """The buyer's confirmation (email and push) and a note to every other holder with an
    email of their own."""
    buyer, match, number = order.buyer, match_name(order), order.number
    holders = [(t.order_item.email, t.holder_name, t.barcode[-4:]) for t in tickets
               if t.order_item.email and t.order_item.email.lower() != buyer.email.lower()]

    def notify() -> None:
        email_send(template_key=TemplateKey.CANCELLATION_CONFIRMATION, to=buyer.email,
                   variables={"name": buyer.email, "order_number": number, "match": match,
                              "ticket_count": len(tickets), "amount": str(amount)})
        push_send(user=buyer, notification_type="tickets_cancelled",
                  title="Tickets cancelled",
                  body=f"{len(tickets)} ticket(s) for {match} cancelled; {amount} EUR will be "
                       "refunded.", data={"order_id": str(order.pk)})
        for email, name, last4 in holders:
            email_send(template_key=TemplateKey.TICKET_CANCELLATION, to=email, variables={
                "name": name, "barcode_last4": f"…{last4}", "match": match, "reason": reason})

    transaction.on_commit(notify)


def notify_transferred(ticket: Ticket, *, from_name: str, from_email: str, to_name: str,
                       to_email: str, sender: str) -> None:
    """Both holders: the new one gets the ticket, the old one learns it has gone."""
    order = ticket.order
    match = match_name(order)
    seat = ticket.inventory
    where = {"sector": ticket.order_item.match_sector.name, "row": seat.row_label if seat else "",
             "seat": str(seat.seat_number) if seat else ""}

    def notify() -> None:
        if to_email:
            email_send(template_key=TemplateKey.TICKET_TRANSFER, to=to_email,
                       variables={"name": to_name, "sender": sender, "match": match, **where})
        if from_email:
            email_send(template_key=TemplateKey.TICKET_TRANSFERRED_AWAY, to=from_email,
                       variables={"name": from_name, "recipient": to_name, "match": match})
        push_send(user=order.buyer, notification_type="ticket_transferred",
                  title="Ticket transferred",
                  body=f"Your ticket for {match} now belongs to {to_name}.",
                  data={"ticket_id": str(ticket.pk)})

    transaction.on_commit(notify)


def notify_match_cancelled(order: Order, tickets: list[Ticket], *, amount) -> int:
    """The buyer (email and push) and every other holder with an email of their own, once per
    order: the logs are written in the caller's transaction, the one that ends the order's
    tickets, and delivered after it commits. Returns how many were written."""
    buyer, match = order.buyer, match_name(order)
    note = (f"{amount} EUR is being refunded to your card." if amount else
            "Your tickets are cancelled; nothing was paid for them.")
    emails = {buyer.email.lower(): buyer.email}
    for ticket in tickets:
        email = ticket.order_item.email
        if email and email.lower() not in emails:
            emails[email.lower()] = email
    for email in emails.values():
        email_send(template_key=TemplateKey.MATCH_CANCELLATION, to=email,
                   variables={"name": email, "match": match, "refund_note": note})
    pushes = push_send(user=buyer, notification_type="match_cancelled", title="Match cancelled",
                       body=f"{match} has been cancelled. {note}",
                       data={"order_id": str(order.pk), "match_id": str(order.match_id)})
    return len(emails) + len(pushes)


def notify_banned(order: Order, tickets: list[Ticket]) -> None:
    """The buyer (email and push) and every holder with an email of their own: the tickets
    are cancelled because someone in them is on the blacklist; nothing is refunded."""
    buyer, match = order.buyer, match_name(order)
    reason = "a ticket holder or the buyer is on the banned list (MUP); nothing is refunded"
    people = {buyer.email.lower(): (buyer.email, buyer.email, "")}
    for ticket in tickets:
        email = ticket.order_item.email
        if email and email.lower() not in people:
            people[email.lower()] = (email, ticket.holder_name, ticket.barcode[-4:])

    def notify() -> None:
        for email, name, last4 in people.values():
            email_send(template_key=TemplateKey.TICKET_CANCELLATION, to=email, variables={
                "name": name, "barcode_last4": f"…{last4}" if last4 else "", "match": match,
                "reason": reason})
        push_send(user=buyer, notification_type="tickets_cancelled", title="Tickets cancelled",
                  body=f"{len(tickets)} ticket(s) for {match} were cancelled: {reason}.",
                  data={"order_id": str(order.pk)})

    transaction.on_commit(notify)
