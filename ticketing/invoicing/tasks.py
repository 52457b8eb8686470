from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from ticketing.invoicing.services import documents, offers
from ticketing.models import Order, OrderStatus


@shared_task(acks_late=True)
def invoice_queue_task(order_id: int) -> None:
    documents.invoice_queue(order_id=order_id)


@shared_task(acks_late=True)
def credit_note_queue_task(refund_id: int) -> None:
    documents.credit_note_queue(refund_id=refund_id)


@shared_task
def documents_poll() -> int:
    return documents.documents_poll()


@shared_task
def documents_resend() -> int:
    return documents.documents_resend()


@shared_task
def invoices_missing(*, days: int = 3) -> int:
    """Card-paid orders completed lately without an invoice (their task was lost) get one."""
    since = timezone.now() - timedelta(days=days)
    ids = list(Order.objects.filter(status=OrderStatus.COMPLETED, debt__isnull=True,
                                    payment__isnull=False, total_amount__gt=0,
                                    ended_at__gte=since, ended_at__lt=timezone.now()
                                    - timedelta(minutes=5))
               .exclude(documents__document_type="INVOICE").values_list("pk", flat=True)[:500])
    for pk in ids:
        documents.invoice_queue(order_id=pk)
    return len(ids)


@shared_task
def payment_offers_overdue() -> int:
    return offers.offers_mark_overdue()
