"""A ticket given to someone else (E9-F5). The buyer names the new holder (typed in or a saved
profile, with an email), who passes checkout's rules: a valid identity, not blacklisted (403
with the MUP message, logged as a TRANSFER_ATTEMPT), and no more than
MAX_TICKETS_PER_HOLDER_PER_MATCH valid tickets of the match. The ticket gets a new barcode, so
the old QR code (a screenshot) no longer opens a gate; both holders are told, and the transfer
log keeps both (OIBs encrypted)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accessctl.models import ViolationAction
from accessctl.services.check import blacklist_check
from core.audit import audit_record
from core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from core.locks import lock_name, lock_one
from core.pii import keyed_hash, mask
from ticketing.aftersale.models import TransferLog, TransferType
from ticketing.aftersale.services.endings import cutoff_check, order_locked
from ticketing.aftersale.services.notify import notify_transferred
from ticketing.models import OrderItem, Ticket, TicketStatus
from ticketing.services.holders import holder_from_input
from ticketing.services.profiles import age_on
from ticketing.services.tickets import barcodes_for

HOLDER_FIELDS = ("first_name", "last_name", "date_of_birth", "nationality", "oib",
                 "passport_number", "email", "holder_source", "saved_profile")


@dataclass
class Transfer:
    ticket: Ticket
    log: TransferLog


def ticket_transfer(*, user, ticket_id: int, holder: dict, reason: str = "",
                    request=None) -> Transfer:
    """The buyer gives their ticket to `holder`."""
    ticket = (Ticket.objects.select_related("order__match")
              .filter(pk=ticket_id, order__buyer=user).first())
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    new = transfer_holder(owner=user, holder=holder)
    blacklist_check(oibs=[new["oib"]], user=user, request=request,
                    action=ViolationAction.TRANSFER_ATTEMPT, match_id=ticket.match_id,
                    reference=f"ticket:{ticket_id}")
    return transfer_apply(ticket, new=new, actor=user, transfer_type=TransferType.SELF_SERVICE,
                          reason=reason)


def transfer_holder(*, owner, holder: dict) -> dict:
    """The new holder from the API's `holder` (a saved profile of `owner`'s, or typed in),
    validated as at checkout, with the email their ticket goes to."""
    try:
        new = holder_from_input(user=owner, given=holder, index=0)
    except ValidationFailed as exc:  # checkout's field names ("holders[0].oib"), renamed
        exc.fields = {k.replace("holders[0]", "holder"): v for k, v in exc.fields.items()}
        raise
    new["email"] = (holder.get("email") or new.get("email") or "").strip()
    if not new["email"]:
        raise ValidationFailed("Give the new holder's email: their ticket is sent there.",
                               field="holder.email", code="email_required")
    return new


def transfer_apply(ticket: Ticket, *, new: dict, actor, transfer_type: str, reason: str,
                   too_late: type[DomainError] = ValidationFailed) -> Transfer:
    """Give `ticket` (as read, unlocked) to the validated holder `new` (checked against the
    blacklist by the caller, before its transaction): new barcode, transfer log, audit, both
    holders told. `too_late` is the error for a match past its after-sale cutoff."""
    now = timezone.now()
    with transaction.atomic():
        order_locked(ticket.order_id)  # the lock order: order, then its tickets
        ticket = lock_one(Ticket.objects.select_related("order__match", "order__buyer",
                                                        "order_item__match_sector",
                                                        "inventory").filter(pk=ticket.pk))
        _transfer_check(ticket, new, now=now, too_late=too_late)
        item: OrderItem = ticket.order_item
        before = {"name": item.full_name, "oib": item.oib, "email": item.email}
        for name in HOLDER_FIELDS:
            setattr(item, name, new[name])
        item.oib_hash = keyed_hash(new["oib"] or "")
        item.is_minor = age_on(item.date_of_birth, now.date()) < settings.DEFAULT_PROFILE_MIN_AGE
        item.save(update_fields=[*HOLDER_FIELDS, "oib_hash", "is_minor"])
        old_barcode = ticket.barcode
        ticket.barcode, ticket.holder_name = barcodes_for(ticket.match_id, 1)[0], item.full_name
        ticket.transfer_count += 1
        ticket.save(update_fields=["barcode", "holder_name", "transfer_count"])
        log = TransferLog.objects.create(
            ticket=ticket, from_barcode=old_barcode, from_holder_name=before["name"],
            from_holder_oib=before["oib"],
            to_holder_name=item.full_name, to_holder_oib=item.oib, to_holder_email=item.email,
            transfer_type=transfer_type, initiated_by=actor, reason=reason[:500])
        audit_record(actor=actor, action="ticket.transferred", obj=ticket,
                     before={"holder": before["name"], "oib": mask(before["oib"])},
                     after={"holder": item.full_name, "oib": mask(item.oib),
                            "transfer_log_id": log.pk, "transfer_type": transfer_type,
                            "reason": reason[:500]})
        notify_transferred(ticket, from_name=before["name"], from_email=before["email"],
                           to_name=item.full_name, to_email=item.email,
                           sender=ticket.order.buyer.email)
    return Transfer(ticket=ticket, log=log)


def _transfer_check(ticket: Ticket, new: dict, *, now, too_late: type[DomainError]) -> None:
    """The locked ticket may go to `new`; else 403 (not transferable), 409 (no longer valid,
    the holder has enough tickets) or 422 (too late, the same holder)."""
    if ticket.status != TicketStatus.VALID:
        raise Conflict(f"This ticket is {ticket.status} and can no longer be transferred.",
                       code="ticket_not_valid")
    if not ticket.transfer_allowed:
        raise Forbidden("This ticket cannot be transferred to another holder.",
                        code="transfer_not_allowed")
    cutoff_check(ticket.order.match, now=now, doing="transferred", error=too_late)
    oib_hash = keyed_hash(new["oib"] or "")
    if oib_hash and oib_hash == ticket.order_item.oib_hash:
        raise ValidationFailed("This person already holds the ticket.", field="holder.oib",
                               code="same_holder")
    if not oib_hash:
        return  # a foreign holder identified by passport: no OIB to count by
    lock_name(f"holder-limit:{ticket.match_id}:{oib_hash}")
    limit = settings.MAX_TICKETS_PER_HOLDER_PER_MATCH
    held = Ticket.objects.filter(match_id=ticket.match_id, status=TicketStatus.VALID,
                                 order_item__oib_hash=oib_hash).count()
    if held >= limit:
        raise Conflict(f"The new holder already has {held} tickets for this match; one person "
                       f"may hold at most {limit}.", code="holder_limit_reached",
                       field="holder.oib")
