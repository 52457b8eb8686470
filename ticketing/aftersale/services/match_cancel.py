"""Cancelling a match (E2-F7). A match that was on sale is cancelled by a Super Admin (a Match
Manager asks for it; a draft needs no approval). Cancelling, in one transaction: the match
CANCELLED, its waiting room closed, its open carts released (a payment that completes later
finds no hold and is refunded, and completion refuses a cancelled match anyway). Then a job
(`match_cancel_run`) takes the match's orders that still have valid tickets, a batch at a
time, and for each one in its own transaction: tickets CANCELLED_MATCH_CANCELLED, a full
refund (fee included, source SYSTEM) through the one refund service, the buyer and holders
told. It keeps no cursor: what is left is whatever still has valid tickets, so a job killed
halfway and started again (`match_cancellations_resume`) finishes the rest, and an order
is done once because its tickets end once."""

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.locks import lock_one, lock_rows
from core.roles import Role
from core.transactions import enqueue_on_commit
from payments.models import Refund, RefundSource
from payments.pricing import ZERO, money
from queueing.services import queue_close
from seating.models import Match, MatchStatus
from seating.services.matches import match_get, match_status_change
from ticketing.aftersale.models import MatchCancellation
from ticketing.aftersale.models import MatchCancellationStatus as S
from ticketing.aftersale.services.endings import order_locked, tickets_end
from ticketing.aftersale.services.notify import notify_match_cancelled
from ticketing.aftersale.tasks import match_cancel_run_task
from ticketing.models import Order, Ticket, TicketStatus
from ticketing.services.cart import carts_release_for_match

BATCH = 200


def is_super_admin(user) -> bool:
    return bool(user.is_superuser or user.groups.filter(name=Role.SUPER_ADMIN).exists())


def _reason_check(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the match is cancelled: the fans are told.",
                               field="reason", code="reason_required")
    return reason


def match_cancel_request(*, match_id: int, actor, reason: str) -> MatchCancellation:
    """A Match Manager asks for a published match to be cancelled; a Super Admin decides."""
    reason = _reason_check(reason)
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        if match.status == MatchStatus.CANCELLED:
            raise Conflict("This match is already cancelled.", code="match_already_cancelled")
        cancellation = MatchCancellation.objects.filter(match=match).first()
        if cancellation is not None and cancellation.status != S.REJECTED:
            raise Conflict("Its cancellation has been asked for already.",
                           code="cancellation_requested")
        cancellation = cancellation or MatchCancellation(match=match)
        cancellation.status, cancellation.reason = S.REQUESTED, reason
        cancellation.requested_by = actor
        cancellation.save()
        audit_record(actor=actor, action="match.cancellation_requested", obj=match,
                     after={"reason": reason})
    return cancellation


def match_cancel(*, match_id: int, actor, reason: str = "") -> MatchCancellation:
    """Cancel the match now and start refunding it (403 for a published match unless the
    actor is a Super Admin). The reason defaults to the one the request gave."""
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        if match.status == MatchStatus.CANCELLED:
            raise Conflict("This match is already cancelled.", code="match_already_cancelled")
        if match.status != MatchStatus.DRAFT and not is_super_admin(actor):
            raise Forbidden("Cancelling a published match needs a Super Admin's approval; ask "
                            f"for it with POST /api/admin/matches/{match.pk}/cancel-request.",
                            code="super_admin_required")
        cancellation = (MatchCancellation.objects.filter(match=match).first()
                        or MatchCancellation(match=match, requested_by=actor))
        reason = _reason_check(reason or cancellation.reason)
        match_status_change(match_id=match.pk, to_status=MatchStatus.CANCELLED, actor=actor,
                            reason=reason, cancellation_approved=True)
        queue_close(match_id=match.pk, actor=actor, reason="match cancelled")
        carts_release_for_match(match_id=match.pk, reason="match cancelled", actor=actor)
        now = timezone.now()
        cancellation.status, cancellation.reason, cancellation.approved_by = (
            S.RUNNING, reason, actor)
        cancellation.started_at = now
        cancellation.orders_total = _orders_left(match.pk).count()
        if not cancellation.orders_total:  # nothing sold: nothing to refund
            cancellation.status, cancellation.completed_at = S.COMPLETED, now
        cancellation.save()
        audit_record(actor=actor, action="match.cancellation_approved", obj=match,
                     after={"reason": reason, "orders": cancellation.orders_total})
        if cancellation.status == S.RUNNING:
            shards = settings.MATCH_CANCEL_WORKERS
            for shard in range(shards):
                enqueue_on_commit(match_cancel_run_task, cancellation.pk, shard, shards,
                                  robust=True)
    return cancellation


def match_cancel_reject(*, match_id: int, actor, reason: str) -> MatchCancellation:
    if not is_super_admin(actor):
        raise Forbidden("Only a Super Admin decides on a match cancellation.",
                        code="super_admin_required")
    with transaction.atomic():
        cancellation = lock_one(MatchCancellation.objects.filter(match_id=match_id))
        if cancellation.status != S.REQUESTED:
            raise Conflict(f"The cancellation is {cancellation.status}.",
                           code="cancellation_not_requested")
        cancellation.status = S.REJECTED
        cancellation.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="match.cancellation_rejected",
                     obj=cancellation.match, after={"reason": reason})
    return cancellation


def _orders_left(match_id: int, shard: int = 0, shards: int = 1):
    """The ids of the match's orders that still have valid tickets, in id order (those of
    one shard: order id modulo `shards`)."""
    tickets = Ticket.objects.filter(match_id=match_id, status=TicketStatus.VALID)
    if shards > 1:
        tickets = tickets.alias(shard=F("order_id") % shards).filter(shard=shard)
    return tickets.order_by("order_id").values_list("order_id", flat=True).distinct()


def match_cancel_run(*, cancellation_id: int, shard: int = 0, shards: int = 1,
                     batch: int = BATCH) -> MatchCancellation:
    """Cancel and refund every order of the cancelled match that still has valid tickets:
    all of them, or one shard's when MATCH_CANCEL_WORKERS tasks share the work. The run that
    finds nothing left anywhere marks the cancellation COMPLETED."""
    cancellation = MatchCancellation.objects.select_related("match", "approved_by").get(
        pk=cancellation_id)
    if cancellation.status != S.RUNNING:
        return cancellation
    while order_ids := list(_orders_left(cancellation.match_id, shard, shards)[:batch]):
        for order_id in order_ids:
            _order_cancel(order_id, cancellation)
    with transaction.atomic():
        cancellation = lock_one(MatchCancellation.objects.filter(pk=cancellation_id))
        if cancellation.status == S.RUNNING and not _orders_left(cancellation.match_id).exists():
            cancellation.status, cancellation.completed_at = S.COMPLETED, timezone.now()
            cancellation.save(update_fields=["status", "completed_at", "updated_at"])
    return cancellation


def _order_cancel(order_id: int, cancellation: MatchCancellation) -> None:
    with transaction.atomic():
        order = order_locked(order_id)
        tickets = lock_rows(order.tickets.select_related("order_item")
                            .filter(status=TicketStatus.VALID))
        if not tickets:
            return  # done by another run of the job
        ending = tickets_end(order=order, tickets=tickets,
                             to_status=TicketStatus.CANCELLED_MATCH_CANCELLED,
                             source=RefundSource.SYSTEM,
                             reason=f"match cancelled: {cancellation.reason}"[:255],
                             actor=cancellation.approved_by, now=timezone.now(),
                             release_seats=False)
        sent = notify_match_cancelled(order, tickets, amount=ending.refund.amount)
        MatchCancellation.objects.filter(pk=cancellation.pk).update(
            orders_done=F("orders_done") + 1, tickets_cancelled=F("tickets_cancelled")
            + len(tickets), notifications_sent=F("notifications_sent") + sent,
            updated_at=timezone.now())


def match_cancellation_report(*, match_id: int) -> dict:
    """Where the cancellation stands: its tickets by status, its refunds by status (count and
    amount) and the notifications sent."""
    cancellation = (MatchCancellation.objects.select_related("requested_by", "approved_by")
                    .filter(match_id=match_id).first())
    if cancellation is None:
        raise NotFound("This match has no cancellation.", code="cancellation_not_found")
    tickets = Counter(dict(Ticket.objects.filter(match_id=match_id).values_list("status")
                           .annotate(n=Count("id")).order_by()))
    refunds = {row["status"]: {"count": row["count"], "amount": money(row["amount"] or ZERO)}
               for row in Refund.objects.filter(
                   pk__in=Ticket.objects.filter(
                       match_id=match_id, status=TicketStatus.CANCELLED_MATCH_CANCELLED)
                   .values("refund")).values("status")
               .annotate(count=Count("id"), amount=Sum("amount")).order_by()}
    return {"match_id": match_id, "status": cancellation.status,
            "reason": cancellation.reason,
            "requested_by": cancellation.requested_by.email,
            "approved_by": cancellation.approved_by.email if cancellation.approved_by else None,
            "started_at": cancellation.started_at, "completed_at": cancellation.completed_at,
            "orders_total": cancellation.orders_total, "orders_done": cancellation.orders_done,
            "tickets_cancelled": cancellation.tickets_cancelled,
            "tickets": dict(tickets), "refunds": refunds,
            "notifications_sent": cancellation.notifications_sent}


def match_cancellation_preview(*, match: Match) -> dict:
    """What cancelling would touch: the admin's confirmation page."""
    valid = Ticket.objects.filter(match=match, status=TicketStatus.VALID)
    return {"valid_tickets": valid.count(),
            "orders": Order.objects.filter(pk__in=valid.values("order_id")).count(),
            "paid_orders": Order.objects.filter(pk__in=valid.values("order_id"),
                                                payment__isnull=False).count()}
