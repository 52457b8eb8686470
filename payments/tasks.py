"""Payments background work. Tasks take primary keys and call a service."""

from celery import shared_task

from core.errors import ServiceUnavailable
from payments.models import Payment, PaymentStatus
from payments.services import payment_refund


@shared_task(bind=True, max_retries=8)
def payment_refund_all(self, payment_id: int, reason: str) -> None:
    """Give back everything left of a payment (a late or duplicate payment). Retries with
    backoff while the provider is unreachable; a payment already refunded is left alone, so a
    redelivered task refunds nothing twice."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status == PaymentStatus.REFUNDED or not payment.refundable_amount:
        return
    try:
        payment_refund(payment=payment, reason=reason, actor=None)
    except ServiceUnavailable as exc:
        raise self.retry(exc=exc, countdown=min(30 * 2 ** self.request.retries, 3600)) from exc
