"""Delivery tasks. Each takes a log's primary key, claims it (core.delivery: only the attempt
that claims a QUEUED log sends it, so nothing is sent twice), retries transient failures with
exponential backoff, and records the final outcome on the log. Not `autoretry_for`: the last
failure must still be written to the log, so they retry themselves, with Celery's own backoff
(as autoretry would). Last, the shipping of audit events to Loki."""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from core import delivery, loki
from core.models import EmailLog, PushLog


def _backoff(task) -> int:
    """Seconds before the next try: exponential from the task's retry_backoff, capped at its
    retry_backoff_max, with full jitter."""
    return get_exponential_backoff_interval(factor=task.retry_backoff,
                                            retries=task.request.retries,
                                            maximum=task.retry_backoff_max, full_jitter=True)


@shared_task(bind=True, max_retries=settings.EMAIL_MAX_RETRIES, retry_backoff=30,
             retry_backoff_max=3600)
def email_deliver(self, log_id: int, variables: dict | None = None):
    """Send one email log. The log keeps its variables; `variables` comes only with tasks
    queued before it did."""
    if not delivery.log_claim(EmailLog, log_id):
        return
    error = delivery.email_attempt(log_id, variables=variables,
                                   max_attempts=self.max_retries + 1)
    if error is not None:
        raise self.retry(exc=error, countdown=_backoff(self)) from error


@shared_task(bind=True, max_retries=5, retry_backoff=10, retry_backoff_max=600)
def push_deliver(self, log_id: int):
    if not delivery.log_claim(PushLog, log_id):
        return
    error = delivery.push_attempt(log_id, max_attempts=self.max_retries + 1)
    if error is not None:
        raise self.retry(exc=error, countdown=_backoff(self)) from error


@shared_task
def notifications_resend(limit: int = 200) -> dict:
    """Every minute (CELERY_BEAT_SCHEDULE "notifications-resend"): a task again for each email
    and push log no task sent (core.delivery.resend_due); the claim sends each once."""
    emails = delivery.resend_due(EmailLog, limit=limit)
    pushes = delivery.resend_due(PushLog, limit=limit)
    for log_id in emails:
        email_deliver.delay(log_id)
    for log_id in pushes:
        push_deliver.delay(log_id)
    return {"emails": len(emails), "pushes": len(pushes)}


@shared_task(ignore_result=True)
def audit_ship() -> dict:
    """Every LOKI_SHIP_SECONDS (CELERY_BEAT_SCHEDULE "audit-ship") and kicked when an audit
    event commits: send the Redis buffer of audit events to Loki (core.loki.ship)."""
    return loki.ship()
