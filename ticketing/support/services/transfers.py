"""A ticket transferred by support for a caller (E10-F2): the request (who asked, how to reach
them, the new holder, why), then its approval, which runs the same transfer service as a fan's
own transfer. Refused with 400 and the policy message within 48 hours of kick-off, 403 with the
MUP message for a blacklisted holder (logged as a violation), as at self-service."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accessctl.models import ViolationAction
from accessctl.services.check import blacklist_check
from core.audit import audit_record
from core.errors import Conflict, NotFound, PolicyRefused, ValidationFailed
from core.locks import lock_one
from core.pii import mask
from ticketing.aftersale.models import TransferType
from ticketing.aftersale.services.endings import cutoff_check, order_locked
from ticketing.aftersale.services.transfers import transfer_apply, transfer_holder
from ticketing.models import Ticket, TicketStatus
from ticketing.support.models import (
    TRANSFER_REQUEST_STATUS,
    SupportTransferRequest,
    TransferRequestStatus,
)


def transfer_request(*, agent, ticket_id: int, requested_by_name: str,
                     requested_by_contact: str, holder: dict, reason: str,
                     complete: bool = True, http_request=None) -> SupportTransferRequest:
    """Record the caller's request, checked as the transfer will be. With `complete` (the agent
    has checked the caller) it is approved and done at once; otherwise it waits as PENDING."""
    ticket = Ticket.objects.select_related("order__match", "order__buyer").filter(
        pk=ticket_id).first()
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    if ticket.status != TicketStatus.VALID:
        raise Conflict(f"This ticket is {ticket.status} and can no longer be transferred.",
                       code="ticket_not_valid")
    _policy_check(ticket)
    new = transfer_holder(owner=ticket.order.buyer, holder=holder)
    _blacklist_check(new, ticket=ticket, agent=agent, http_request=http_request)
    with transaction.atomic():
        order_locked(ticket.order_id)  # the lock order: order, request, ticket
        try:
            with transaction.atomic():
                asked = _request_create(ticket, agent=agent, new=new, reason=reason,
                                        requested_by_name=requested_by_name,
                                        requested_by_contact=requested_by_contact)
        except IntegrityError:  # the partial unique index: one PENDING request per ticket
            raise Conflict("This ticket already has a transfer request waiting: approve or "
                           "reject that one first.", code="transfer_request_pending") from None
        if complete:
            _approve(asked, ticket, actor=agent, new=new)
    return asked


def _request_create(ticket: Ticket, *, agent, new: dict, reason: str, requested_by_name: str,
                    requested_by_contact: str) -> SupportTransferRequest:
    asked = SupportTransferRequest.objects.create(
        ticket=ticket, barcode_at_request=ticket.barcode, requested_by_name=requested_by_name,
        requested_by_contact=requested_by_contact, new_holder_first_name=new["first_name"],
        new_holder_last_name=new["last_name"], new_holder_date_of_birth=new["date_of_birth"],
        new_holder_nationality=new["nationality"], new_holder_oib_encrypted=new["oib"],
        new_holder_passport_encrypted=new["passport_number"] or "",
        new_holder_email=new["email"], reason=reason, agent=agent)
    audit_record(actor=agent, action="support_transfer.requested", obj=asked,
                 after={"ticket_id": ticket.pk, "requested_by": requested_by_name,
                        "new_holder": asked.new_holder_name, "oib": mask(new["oib"]),
                        "reason": reason})
    return asked


def transfer_request_approve(*, request_id: int, actor,
                             http_request=None) -> SupportTransferRequest:
    """PENDING -> APPROVED -> COMPLETED: the ticket goes to the new holder. A second approval
    (at the same moment or later) gets 409."""
    unlocked = _request(request_id)
    ticket = unlocked.ticket
    _policy_check(ticket)
    new = transfer_holder(owner=ticket.order.buyer, holder=unlocked.new_holder())
    _blacklist_check(new, ticket=ticket, agent=actor, http_request=http_request)
    with transaction.atomic():
        order_locked(ticket.order_id)  # the lock order: order, request, ticket
        asked = _pending_locked(request_id)
        _approve(asked, ticket, actor=actor, new=new)
    return asked


def transfer_request_reject(*, request_id: int, actor, note: str) -> SupportTransferRequest:
    if not note.strip():
        raise ValidationFailed("Say why the transfer is refused.", field="note",
                               code="note_required")
    with transaction.atomic():
        asked = _pending_locked(request_id)
        TRANSFER_REQUEST_STATUS.move(asked, TransferRequestStatus.REJECTED, decided_by=actor,
                                     decided_at=timezone.now(), decision_note=note[:500])
        asked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=actor, action="support_transfer.rejected", obj=asked,
                     after={"ticket_id": asked.ticket_id, "note": note})
    return asked


def _approve(asked: SupportTransferRequest, ticket: Ticket, *, actor, new: dict) -> None:
    now = timezone.now()
    if Ticket.objects.filter(pk=asked.ticket_id).values_list("barcode", flat=True).first() \
            != asked.barcode_at_request:
        raise Conflict("The ticket changed hands since this request was made: reject it and "
                       "ask again.", code="ticket_changed")
    TRANSFER_REQUEST_STATUS.move(asked, TransferRequestStatus.APPROVED, decided_by=actor,
                                 decided_at=now)
    done = transfer_apply(ticket, new=new, actor=actor,
                          transfer_type=TransferType.SUPPORT,
                          reason=f"Support request {asked.pk}: {asked.reason}",
                          too_late=PolicyRefused)
    TRANSFER_REQUEST_STATUS.move(asked, TransferRequestStatus.COMPLETED, transfer=done.log,
                                 completed_at=now)
    asked.save(update_fields=["status", "decided_by", "decided_at", "transfer",
                              "completed_at"])
    audit_record(actor=actor, action="support_transfer.completed", obj=asked,
                 after={"ticket_id": asked.ticket_id, "transfer_log_id": done.log.pk,
                        "agent_id": asked.agent_id, "reason": asked.reason})


def _policy_check(ticket: Ticket) -> None:
    cutoff_check(ticket.order.match, now=timezone.now(), doing="transferred",
                 error=PolicyRefused)


def _blacklist_check(new: dict, *, ticket: Ticket, agent, http_request) -> None:
    blacklist_check(oibs=[new["oib"]], user=agent, request=http_request,
                    action=ViolationAction.TRANSFER_ATTEMPT, match_id=ticket.match_id,
                    reference=f"ticket:{ticket.pk}")


def _request(request_id: int) -> SupportTransferRequest:
    asked = (SupportTransferRequest.objects.select_related("ticket__order__match",
                                                           "ticket__order__buyer")
             .filter(pk=request_id).first())
    if asked is None:
        raise NotFound("No such transfer request.", code="transfer_request_not_found")
    return asked


def _pending_locked(request_id: int) -> SupportTransferRequest:
    try:
        asked = lock_one(SupportTransferRequest.objects.filter(pk=request_id))
    except SupportTransferRequest.DoesNotExist:
        raise NotFound("No such transfer request.",
                       code="transfer_request_not_found") from None
    if asked.status != TransferRequestStatus.PENDING:
        raise Conflict(f"This transfer request is already {asked.status}.",
                       code="transfer_request_decided")
    return asked
