"""Delivering a succeeded payment to the app it pays for, at least once (DESIGN.md,
"Idempotency").

The success webhook only records the payment as SUCCEEDED. Once that commits, the
`payment_success_deliver` task sends `signals.payment_succeeded`, whose receivers (orders,
quota claims) complete what was paid for idempotently, and then stamps `delivered_at`. A
receiver that raises (a database error, a deadlock) makes the task retry with backoff; a task
that never ran or ran out of retries (a worker killed, the broker down) is picked up by
`payments_undelivered_sweep`. Until `delivered_at` is set the apps above never expire what
the payment is for (`payment_success_pending`)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Concat
from django.utils import timezone

from core.transactions import enqueue_on_commit
from payments import signals
from payments.models import Payment, PaymentStatus

logger = logging.getLogger(__name__)


def payment_success_enqueue(payment: Payment) -> None:
    """Deliver the success once the current transaction commits. A broker that cannot take the
    task does not undo the commit (the webhook still answers 2xx): the sweep delivers it."""
    enqueue_on_commit(payment_success_deliver, payment.pk, robust=True)


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=600,
             max_retries=10)
def payment_success_deliver(payment_id: int) -> bool:
    """Send `payment_succeeded` for an undelivered SUCCEEDED payment, then mark it delivered.
    False when there was nothing to deliver (delivered already, or no longer SUCCEEDED)."""
    payment = Payment.objects.filter(pk=payment_id, status=PaymentStatus.SUCCEEDED,
                                     delivered_at__isnull=True).first()
    if payment is None:
        return False
    signals.payment_succeeded.send(sender=Payment, payment=payment)
    Payment.objects.filter(pk=payment_id, delivered_at__isnull=True).update(
        delivered_at=timezone.now())
    return True


@shared_task
def payments_undelivered_sweep(limit: int = 200) -> int:
    """Every minute (CELERY_BEAT_SCHEDULE "payment-delivery"): deliver what the task missed.
    Payments younger than PAYMENT_DELIVERY_GRACE_SECONDS are left to their own task."""
    cutoff = timezone.now() - timedelta(seconds=settings.PAYMENT_DELIVERY_GRACE_SECONDS)
    due = list(Payment.objects.filter(status=PaymentStatus.SUCCEEDED, delivered_at__isnull=True,
                                      updated_at__lt=cutoff)
               .order_by("updated_at").values_list("pk", flat=True)[:limit])
    delivered = 0
    for payment_id in due:
        try:
            delivered += payment_success_deliver(payment_id)
        except DatabaseError:  # left undelivered; the next sweep tries again
            logger.exception("Delivering payment %s failed; the next sweep retries", payment_id)
    return delivered


def payment_success_pending(reference_prefix: str, pk_field: str = "pk") -> Exists:
    """An `Exists` for querysets of what payments pay for: true where a payment with reference
    `<reference_prefix><pk>` has succeeded and is not delivered yet, so a sweep above leaves
    that order or claim to the delivery instead of expiring it."""
    return Exists(Payment.objects.filter(
        status=PaymentStatus.SUCCEEDED, delivered_at__isnull=True,
        reference=Concat(Value(reference_prefix), OuterRef(pk_field),
                         output_field=Payment._meta.get_field("reference"))))
