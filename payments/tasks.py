"""Payments background work. Tasks take primary keys and call a service (the refund tasks
live next to their service in `payments.refunds`)."""

from celery import shared_task

from core.errors import ServiceUnavailable
from payments.models import Payment
from payments.refunds import payment_refund, refunds_unsent_sweep


@shared_task(autoretry_for=(ServiceUnavailable,), retry_backoff=30, retry_backoff_max=3600,
             max_retries=8)
def payment_refund_all(payment_id: int, reason: str) -> None:
    """Give back everything left of a payment (a late or duplicate payment). Retried with
    backoff while the provider is unreachable; what an earlier run already asked for is not
    asked again, so a redelivered task refunds nothing twice."""
    payment_refund(payment=Payment.objects.get(pk=payment_id), reason=reason, actor=None)


@shared_task
def refunds_resend() -> int:
    return refunds_unsent_sweep()
