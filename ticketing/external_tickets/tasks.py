from celery import shared_task

from ticketing.external_tickets.services import pdf_tickets_email


@shared_task(acks_late=True)
def pdf_tickets_email_task(match_id: int) -> int:
    """One batch, then the next as a task of its own until none is left."""
    sent = pdf_tickets_email(match_id=match_id)
    if sent:
        pdf_tickets_email_task.delay(match_id)
    return sent
