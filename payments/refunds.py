"""The one refund service (E8-F3): every path that gives money back (an admin or support refund,
a fan cancelling tickets, a cancelled match, a payment that arrived too late) records a `Refund`
here and lets it run the same way:

1. `refund_create`, in the caller's transaction: the amount is checked against what the payment
   has left (other live refunds included, under the payment's row lock), so two refunds can
   never give back more than was paid. A refund waiting for approval stops here.
2. After commit, the task `refund_send_task` calls `refund_send`: the provider is
   asked with no lock held and no transaction open, with the idempotency key
   `refund:<id>:<attempt>`, so a retried task or a double delivery returns the provider's first
   refund instead of a second one.
3. The provider's answer, or later its `refund.updated` / `charge.refunded` webhook
   (`refund_reconcile`), moves the refund along REFUND_STATUS; a completed refund updates the
   payment's `refunded_amount` (always the sum of its completed refunds) and sends
   `signals.refund_completed` (the hook for the e-invoicing credit note).

A refund with nothing to send (a free ticket, or a deferred one whose debt is reduced instead)
completes in step 1."""

import logging
from datetime import timedelta
from decimal import Decimal

from celery import Task, shared_task
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import audit_record, snapshot
from core.errors import InvalidTransition, ServiceUnavailable, ValidationFailed
from core.locks import lock_one
from core.transactions import enqueue_on_commit
from payments import signals
from payments.models import (
    PAYMENT_STATUS,
    REFUND_LIVE,
    REFUND_SENDABLE,
    REFUND_STATUS,
    Debt,
    DebtStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundSource,
    RefundStatus,
)
from payments.pricing import ZERO, money
from payments.providers import from_cents, provider

logger = logging.getLogger(__name__)

# Stripe's refund statuses (https://docs.stripe.com/api/refunds/object#refund_object-status).
PROVIDER_STATUSES = {"pending": RefundStatus.PROCESSING,
                     "requires_action": RefundStatus.PROCESSING,
                     "succeeded": RefundStatus.COMPLETED, "failed": RefundStatus.FAILED,
                     "canceled": RefundStatus.FAILED}
REFUNDABLE_PAYMENTS = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)


def refund_create(*, reference: str, amount: Decimal, source: str, reason: str,
                  fee_retained: Decimal = ZERO, payment: Payment | None = None,
                  debt: Debt | None = None, requested_by=None,
                  needs_approval: bool = False) -> Refund:
    """Record a refund of `amount` inside the caller's open transaction and send it after
    commit (unless it waits for approval). With a `debt` the debt is reduced instead; with
    neither, nothing was paid and the refund completes at once for the record."""
    amount, fee_retained = money(amount), money(fee_retained)
    if amount < ZERO:
        raise ValidationFailed("A refund cannot be negative.", field="amount")
    if payment is not None and amount > ZERO:
        payment = lock_one(Payment.objects.filter(pk=payment.pk))
        _within_payment(payment, amount)
    else:
        payment = None  # nothing to send: a refund of 0 does not touch the payment
    refund = Refund.objects.create(
        reference=reference, payment=payment, debt=debt, amount=amount,
        fee_retained=fee_retained, source=source, reason=reason[:255],
        requested_by=requested_by,
        status=RefundStatus.PENDING_APPROVAL if needs_approval else RefundStatus.PENDING)
    audit_record(actor=requested_by, action="refund.requested", obj=refund,
                 after={"reference": reference, "amount": str(amount), "source": source,
                        "fee_retained": str(fee_retained), "reason": reason,
                        "payment_id": payment.pk if payment else None,
                        "status": refund.status})
    if not needs_approval:
        _start(refund)
    return refund


def refunds_total(refunds) -> Decimal:
    return money(refunds.aggregate(total=Sum("amount"))["total"] or ZERO)


def _payment_left(payment: Payment, *, excluding: int | None = None) -> Decimal:
    """What the (locked) payment has not yet promised to its live refunds."""
    return payment.amount - refunds_total(
        Refund.objects.filter(payment=payment, status__in=REFUND_LIVE).exclude(pk=excluding))


def _within_payment(payment: Payment, amount: Decimal, *, excluding: int | None = None) -> None:
    """`amount` fits in what the (locked) payment has not yet promised to other refunds."""
    if payment.status not in REFUNDABLE_PAYMENTS:
        raise InvalidTransition(f"A {payment.status} payment cannot be refunded.")
    left = _payment_left(payment, excluding=excluding)
    if amount <= ZERO or amount > left:
        raise ValidationFailed(
            f"The refund must be between 0.01 and {left} {payment.currency}: that is what the "
            "payment has left.", field="amount", code="refund_exceeds_payment")


def _start(refund: Refund) -> None:
    """A refund that may go: sent after commit, or completed here if there is nothing to send."""
    if refund.payment_id is not None:
        enqueue_on_commit(refund_send_task, refund.pk, robust=True)
        return
    if refund.debt_id is not None:
        _debt_credit(refund)
    _complete(refund)


def _debt_credit(refund: Refund) -> None:
    debt = lock_one(Debt.objects.filter(pk=refund.debt_id))
    credited = min(debt.amount, debt.credited_amount + refund.amount)
    debt.credited_amount = credited
    fields = ["credited_amount"]
    if credited >= debt.amount and debt.status == DebtStatus.OPEN:
        debt.status = DebtStatus.CREDITED
        fields.append("status")
    debt.save(update_fields=fields)


def refund_approve(*, refund_id: int, actor) -> Refund:
    """PENDING_APPROVAL -> APPROVED, and on its way."""
    with transaction.atomic():
        refund = lock_one(Refund.objects.filter(pk=refund_id))
        if refund.requested_by_id is not None and refund.requested_by_id == actor.pk:
            raise InvalidTransition("A refund is approved by someone other than who asked.",
                                    code="self_approval")
        if refund.payment_id is not None:
            payment = lock_one(Payment.objects.filter(pk=refund.payment_id))
            _within_payment(payment, refund.amount, excluding=refund.pk)
        _move(refund, RefundStatus.APPROVED, actor=actor, approved_by=actor)
        _start(refund)
    return refund


def refund_reject(*, refund_id: int, actor, reason: str) -> Refund:
    with transaction.atomic():
        refund = lock_one(Refund.objects.filter(pk=refund_id))
        _move(refund, RefundStatus.REJECTED, actor=actor, approved_by=actor,
              failure_message=reason[:1000])
    transaction.on_commit(lambda: signals.refund_rejected.send(sender=Refund, refund=refund))
    return refund


def refund_retry(*, refund_id: int, actor) -> Refund:
    """A FAILED refund tried again with a new key (the provider said no to the old one)."""
    with transaction.atomic():
        refund = lock_one(Refund.objects.filter(pk=refund_id))
        if refund.payment_id is not None and refund.status == RefundStatus.FAILED:
            payment = lock_one(Payment.objects.filter(pk=refund.payment_id))
            _within_payment(payment, refund.amount, excluding=refund.pk)
        _move(refund, RefundStatus.PENDING, actor=actor, attempt=refund.attempt + 1,
              failure_message="", provider_refund_id=None)
        _start(refund)
    return refund


def refund_send(*, refund_id: int) -> Refund:
    """Ask the provider for the refund, outside any lock; record its answer. A refund not (or no
    longer) waiting to be sent is returned as it is, so a redelivered task sends nothing twice.
    `ServiceUnavailable` propagates: the task retries with the same key."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status not in REFUND_SENDABLE or refund.provider_refund_id:
        return refund
    claimed = Refund.objects.filter(pk=refund.pk, status__in=REFUND_SENDABLE,
                                    provider_refund_id__isnull=True).update(
        status=RefundStatus.PROCESSING, updated_at=timezone.now())
    if not claimed:
        return Refund.objects.get(pk=refund.pk)
    payment = refund.payment
    try:
        refund_id_at_provider, provider_status = provider(payment.provider).refund(
            payment.provider_payment_id, refund.amount, refund.idempotency_key,
            metadata={"refund_id": str(refund.pk), "reference": refund.reference})
    except ValidationFailed as exc:  # the provider refused it: retrying the same would too
        return refund_fail(refund_id=refund.pk, message=exc.detail)
    return _provider_answer(refund.pk, refund_id_at_provider, provider_status)


def refund_fail(*, refund_id: int, message: str) -> Refund:
    """A refund the provider refused, or that could not be sent after every retry."""
    with transaction.atomic():
        refund = lock_one(Refund.objects.filter(pk=refund_id))
        if RefundStatus.FAILED not in REFUND_STATUS.allowed(refund.status):
            return refund  # completed meanwhile (a webhook was quicker)
        _move(refund, RefundStatus.FAILED, actor=None, failure_message=message[:1000])
    logger.warning("Refund %s failed: %s", refund.pk, message)
    transaction.on_commit(lambda: signals.refund_failed.send(sender=Refund, refund=refund))
    return refund


def _provider_answer(refund_pk: int, provider_refund_id: str, provider_status: str) -> Refund:
    with transaction.atomic():
        refund = lock_one(Refund.objects.filter(pk=refund_pk))
        if refund.provider_refund_id is None:
            refund.provider_refund_id = provider_refund_id
            refund.save(update_fields=["provider_refund_id", "updated_at"])
        _apply(refund, PROVIDER_STATUSES.get(provider_status, RefundStatus.PROCESSING),
               message=f"The provider reported the refund {provider_status}.")
    return refund


def _apply(refund: Refund, to_status: str, *, message: str = "") -> None:
    """Move a locked refund to what the provider says, when the table allows it (a late
    "pending" after "succeeded" changes nothing)."""
    if to_status == refund.status and to_status != RefundStatus.PROCESSING:
        return
    if to_status not in REFUND_STATUS.allowed(refund.status):
        logger.info("Refund %s stays %s (provider says %s)", refund.pk, refund.status, to_status)
        return
    if to_status == RefundStatus.COMPLETED:
        _complete(refund)
    elif to_status == RefundStatus.FAILED:
        _move(refund, RefundStatus.FAILED, actor=None, failure_message=message)
        transaction.on_commit(lambda: signals.refund_failed.send(sender=Refund, refund=refund))
    elif refund.status != RefundStatus.PROCESSING:
        _move(refund, RefundStatus.PROCESSING, actor=None)


def _complete(refund: Refund) -> None:
    _move(refund, RefundStatus.COMPLETED, actor=None, completed_at=timezone.now())
    if refund.payment_id is not None:
        _payment_refunded_update(refund.payment_id, actor=refund.requested_by)
    transaction.on_commit(lambda: signals.refund_completed.send(sender=Refund, refund=refund))


def _payment_refunded_update(payment_id: int, *, actor) -> None:
    """The payment's refunded amount is the sum of its completed refunds, never a running sum:
    a refund seen twice (our answer and its webhook) counts once."""
    payment = lock_one(Payment.objects.filter(pk=payment_id))
    refunded = min(payment.amount, refunds_total(
        Refund.objects.filter(payment=payment, status=RefundStatus.COMPLETED)))
    if refunded <= payment.refunded_amount:
        return
    before = snapshot(payment, "status", "refunded_amount")
    to_status = (PaymentStatus.REFUNDED if refunded >= payment.amount
                 else PaymentStatus.PARTIALLY_REFUNDED)
    PAYMENT_STATUS.move(payment, to_status, refunded_amount=refunded)
    payment.save(update_fields=["status", "refunded_amount", "updated_at"])
    audit_record(actor=actor, action="payment.refund", obj=payment, before=before,
                 after=snapshot(payment, "status", "refunded_amount"))
    transaction.on_commit(lambda: signals.payment_refunded.send(sender=Payment, payment=payment))


def _move(refund: Refund, to_status: str, *, actor, **fields) -> None:
    from_status = REFUND_STATUS.move(refund, to_status, **fields)
    refund.save(update_fields=["status", *fields, "updated_at"])
    audit_record(actor=actor, action=f"refund.{to_status.lower()}", obj=refund,
                 before={"status": from_status},
                 after={"status": to_status, "reference": refund.reference,
                        "amount": str(refund.amount),
                        **{k: str(v) for k, v in fields.items() if k != "approved_by"}})


def refund_reconcile(item: dict, payment: Payment | None) -> None:
    """A refund object from a webhook (`refund.*`, or inside `charge.refunded`), applied inside
    the webhook's transaction. Ours is found by its id, or by the id we put in its metadata
    when our answer never arrived; a refund made at the provider (its dashboard) is recorded."""
    refund = Refund.objects.filter(provider_refund_id=item["id"]).first()
    ours = (item.get("metadata") or {}).get("refund_id")
    if refund is None and ours and str(ours).isdigit():
        refund = Refund.objects.filter(pk=int(ours), provider_refund_id__isnull=True).first()
    to_status = PROVIDER_STATUSES.get(item.get("status"), RefundStatus.PROCESSING)
    if refund is None:
        if payment is None:
            logger.warning("Refund %s for an unknown payment ignored", item["id"])
            return
        refund = Refund.objects.create(
            reference=payment.reference, payment=payment, amount=from_cents(item["amount"]),
            source=RefundSource.SUPPORT, reason=item.get("reason") or "refunded at the provider",
            provider_refund_id=item["id"], status=RefundStatus.PROCESSING)
    refund = lock_one(Refund.objects.filter(pk=refund.pk))
    if refund.provider_refund_id is None:
        refund.provider_refund_id = item["id"]
        refund.save(update_fields=["provider_refund_id", "updated_at"])
    reason = (item.get("failure_reason") or item.get("status") or "").replace("_", " ")
    _apply(refund, to_status, message=f"The provider reported the refund {reason}.")


def payment_refund(*, payment: Payment, amount: Decimal | None = None, reason: str,
                   actor, source: str = RefundSource.SYSTEM,
                   reference: str = "") -> Refund | None:
    """Refund `amount` of a payment now, waiting for the provider's answer: for a payment that
    bought nothing (a late or duplicate payment) and the payment admin's action. Without an
    amount, all that no refund has claimed yet, or the refund an earlier try left unsent (sent
    again with its key, so a retried task refunds once); None if nothing is left.
    `ServiceUnavailable` propagates for the caller to retry (the sweep resends it otherwise).
    Orders and tickets are refunded by the after-sale services instead."""
    with transaction.atomic():
        payment = lock_one(Payment.objects.filter(pk=payment.pk))
        refund = None
        if amount is None:
            refund = Refund.objects.filter(payment=payment, status__in=REFUND_SENDABLE,
                                           provider_refund_id__isnull=True).first()
            amount = _payment_left(payment)
            if refund is None and amount <= ZERO:
                return None
        if refund is None:
            _within_payment(payment, money(amount))
            refund = Refund.objects.create(
                reference=reference or payment.reference, payment=payment,
                amount=money(amount), source=source, reason=reason[:255], requested_by=actor)
            audit_record(actor=actor, action="refund.requested", obj=refund,
                         after={"reference": refund.reference, "amount": str(refund.amount),
                                "source": source, "reason": reason, "payment_id": payment.pk})
    return refund_send(refund_id=refund.pk)


class _RefundTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Every retry spent (or an unexpected error): the refund is FAILED, for an admin to
        see and retry (Django Admin, "Retry")."""
        detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
        refund_fail(refund_id=args[0], message=f"Could not be sent: {detail}")


@shared_task(base=_RefundTask, autoretry_for=(ServiceUnavailable,), retry_backoff=30,
             retry_backoff_max=3600, max_retries=8)
def refund_send_task(refund_id: int) -> None:
    refund_send(refund_id=refund_id)


def refunds_unsent_sweep(*, older_than_seconds: int = 600) -> int:
    """Refunds whose task never ran (the broker was down at commit): queued again. Sending is
    idempotent, so one sent meanwhile is left as it is."""
    stale = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(Refund.objects.filter(status__in=REFUND_SENDABLE, provider_refund_id__isnull=True,
                                     payment__isnull=False, updated_at__lt=stale)
               .values_list("pk", flat=True)[:1000])
    for pk in ids:
        refund_send_task.delay(pk)
    return len(ids)
