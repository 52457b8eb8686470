"""What invoicing hears: a completed order gets its invoice, a completed refund its credit
note. Each only queues a task (cheap on the sale's path); the task writes the document."""

from django.dispatch import receiver

from payments.models import Refund
from payments.signals import refund_completed
from ticketing.invoicing.tasks import credit_note_queue_task, invoice_queue_task
from ticketing.signals import order_completed


@receiver(order_completed)
def invoice_wanted(sender, order_id: int, **kwargs) -> None:
    invoice_queue_task.delay(order_id)


@receiver(refund_completed, sender=Refund)
def credit_note_wanted(sender, refund: Refund, **kwargs) -> None:
    credit_note_queue_task.delay(refund.pk)
