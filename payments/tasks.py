"""Payments background work. Tasks take primary keys and call a service."""

from celery import shared_task

from core.errors import ServiceUnavailable
from payments.models import Payment, PaymentStatus
from payments.services import payment_refund


@shared_task(autoretry_for=(ServiceUnavailable,), retry_backoff=30, retry_backoff_max=3600,
             max_retries=8)
def payment_refund_all(payment_id: int, reason: str) -> None:
    """Give back everything left of a payment (a late or duplicate payment). Retried with
    backoff while the provider is unreachable; a payment already refunded is left alone, so a
    redelivered task refunds nothing twice."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status == PaymentStatus.REFUNDED or not payment.refundable_amount:
        return
    payment_refund(payment=payment, reason=reason, actor=None)
