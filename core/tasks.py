"""Delivery tasks. Each takes a log's primary key, claims it only while it is QUEUED (so a
redelivered task sends nothing twice), retries transient failures with exponential backoff,
and records the final outcome on the log."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.utils import timezone

from core.email_templates import email_render
from core.fcm import FcmError, fcm_client
from core.models import (
    EmailLog,
    EmailStatus,
    EmailTemplate,
    PushLog,
    PushPriority,
    PushStatus,
    PushToken,
)

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=settings.EMAIL_MAX_RETRIES)
def email_deliver(self, log_id: int, variables: dict):
    log = (EmailLog.objects.filter(pk=log_id, status=EmailStatus.QUEUED)
           .only("template_key", "recipient_email", "attempts").first())
    if log is None:
        return
    template = EmailTemplate.objects.get(template_key=log.template_key)
    subject, text, html = email_render(template, variables)
    message_id = make_msgid(domain="tickets.hns.example")
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL,
                                     [log.recipient_email], headers={"Message-ID": message_id})
    message.attach_alternative(html, "text/html")
    attempts = log.attempts + 1  # written with the outcome: one UPDATE per attempt
    try:
        message.send()
    except Exception as exc:
        if self.request.retries < self.max_retries:
            EmailLog.objects.filter(pk=log_id).update(attempts=attempts,
                                                      error_message=str(exc)[:2000])
            raise self.retry(exc=exc, countdown=2 ** self.request.retries * 30) from exc
        EmailLog.objects.filter(pk=log_id, status=EmailStatus.QUEUED).update(
            status=EmailStatus.FAILED, attempts=attempts, error_message=str(exc)[:2000])
        logger.warning("email %s to %s failed: %s", log_id, log.recipient_email, exc)
        return
    EmailLog.objects.filter(pk=log_id, status=EmailStatus.QUEUED).update(
        status=EmailStatus.SENT, attempts=attempts, sent_at=timezone.now(), error_message="",
        provider=settings.EMAIL_BACKEND.rsplit(".", 2)[-2],
        provider_message_id=message_id)


@shared_task(bind=True, max_retries=5)
def push_deliver(self, log_id: int):
    log = PushLog.objects.select_related("token").filter(
        pk=log_id, status=PushStatus.QUEUED).first()
    if log is None or log.token is None:
        return
    try:
        message_id = fcm_client().send(
            token=log.token.fcm_token, title=log.title, body=log.body, data=log.data_json,
            high_priority=log.priority == PushPriority.HIGH)
    except FcmError as exc:
        if exc.retryable and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** self.request.retries * 10) from exc
        if exc.dead_token:
            PushToken.objects.filter(pk=log.token_id).update(is_active=False)
        PushLog.objects.filter(pk=log_id, status=PushStatus.QUEUED).update(
            status=PushStatus.FAILED, error_message=str(exc)[:2000])
        return
    PushLog.objects.filter(pk=log_id, status=PushStatus.QUEUED).update(
        status=PushStatus.SENT, sent_at=timezone.now(), fcm_message_id=message_id)
    PushToken.objects.filter(pk=log.token_id).update(last_used_at=timezone.now())
