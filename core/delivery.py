"""Sending a logged email or push exactly once (core.notifications logs them; the tasks in
core.tasks call these).

Every attempt first claims its log: QUEUED -> SENDING in one conditional UPDATE, and only the
attempt that moved it sends. So a redelivered task, a retry and a task the resend sweep queued
again never send one log twice. The outcome is written with the attempt: SENT, FAILED, or back
to QUEUED for another try while attempts are left (`attempts` counts them all, whichever task
made them). A log left SENDING past the grace period was interrupted mid-send (a worker
stopped) and may have gone out: it becomes FAILED rather than risk a second copy.

`resend_due` finds what no task sent: logs still QUEUED NOTIFICATION_RESEND_GRACE_SECONDS after
they were queued or last tried (the broker was down when they were queued, or Redis lost the
task)."""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.email_templates import email_render
from core.fcm import FcmError, fcm_client
from core.locks import lock_rows
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

STATUSES = {EmailLog: EmailStatus, PushLog: PushStatus}
INTERRUPTED = ("Interrupted while sending (the worker stopped?); it may have gone out, so it "
               "is not sent again.")


def _finished(model) -> dict:
    """Fields to write once a log is done: an email's variables (links) are no longer needed."""
    return {"variables_encrypted": ""} if model is EmailLog else {}


def log_claim(model, log_id: int) -> bool:
    """Claim a QUEUED log for one attempt; False when another attempt has it or it is done."""
    status = STATUSES[model]
    return model.objects.filter(pk=log_id, status=status.QUEUED).update(
        status=status.SENDING, attempted_at=timezone.now()) == 1


def _stored_variables(log: EmailLog) -> dict:
    # Logs queued before the variables were kept encrypted have only the scrubbed copy.
    return json.loads(log.variables_encrypted) if log.variables_encrypted else log.variables_json


def email_attempt(log_id: int, *, max_attempts: int, variables: dict | None = None):
    """Send an email log this attempt claimed. Returns the error when it failed and may be
    tried again (the log is QUEUED again), else None (SENT, or FAILED for good)."""
    log = (EmailLog.objects.filter(pk=log_id, status=EmailStatus.SENDING)
           .only("template_key", "recipient_email", "attempts", "variables_json",
                 "variables_encrypted").first())
    if log is None:
        return None
    template = EmailTemplate.objects.get(template_key=log.template_key)
    subject, text, html = email_render(template, variables or _stored_variables(log))
    message_id = make_msgid(domain="tickets.hns.example")
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL,
                                     [log.recipient_email], headers={"Message-ID": message_id})
    message.attach_alternative(html, "text/html")
    attempts = log.attempts + 1  # written with the outcome: one UPDATE per attempt
    claimed = EmailLog.objects.filter(pk=log_id, status=EmailStatus.SENDING)
    try:
        message.send()
    except Exception as exc:
        if attempts < max_attempts:
            claimed.update(status=EmailStatus.QUEUED, attempts=attempts,
                           error_message=str(exc)[:2000])
            return exc
        claimed.update(status=EmailStatus.FAILED, attempts=attempts,
                       error_message=str(exc)[:2000], **_finished(EmailLog))
        logger.warning("email %s to %s failed: %s", log_id, log.recipient_email, exc)
        return None
    claimed.update(status=EmailStatus.SENT, attempts=attempts, sent_at=timezone.now(),
                   error_message="", provider=settings.EMAIL_BACKEND.rsplit(".", 2)[-2],
                   provider_message_id=message_id, **_finished(EmailLog))
    return None


def push_attempt(log_id: int, *, max_attempts: int) -> FcmError | None:
    """Send a push log this attempt claimed; returns what `email_attempt` returns."""
    log = PushLog.objects.select_related("token").filter(
        pk=log_id, status=PushStatus.SENDING).first()
    if log is None:
        return None
    claimed = PushLog.objects.filter(pk=log_id, status=PushStatus.SENDING)
    if log.token is None:  # the device was deleted after the push was queued
        claimed.update(status=PushStatus.SKIPPED, error_message="The device is gone.")
        return None
    attempts = log.attempts + 1
    try:
        message_id = fcm_client().send(
            token=log.token.fcm_token, title=log.title, body=log.body, data=log.data_json,
            high_priority=log.priority == PushPriority.HIGH)
    except FcmError as exc:
        if exc.retryable and attempts < max_attempts:
            claimed.update(status=PushStatus.QUEUED, attempts=attempts,
                           error_message=str(exc)[:2000])
            return exc
        if exc.dead_token:
            PushToken.objects.filter(pk=log.token_id).update(is_active=False)
        claimed.update(status=PushStatus.FAILED, attempts=attempts,
                       error_message=str(exc)[:2000])
        return None
    claimed.update(status=PushStatus.SENT, attempts=attempts, sent_at=timezone.now(),
                   fcm_message_id=message_id)
    PushToken.objects.filter(pk=log.token_id).update(last_used_at=timezone.now())
    return None


def resend_due(model, *, limit: int) -> list[int]:
    """Ids of up to `limit` logs of `model` (EmailLog or PushLog) that no task sent in time,
    marked as tried now so the next sweeps leave them to the task the caller queues. Locked
    with SKIP LOCKED and marked in one UPDATE, so overlapping sweeps never take the same log.
    Logs interrupted mid-send become FAILED first."""
    status = STATUSES[model]
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NOTIFICATION_RESEND_GRACE_SECONDS)
    model.objects.filter(status=status.SENDING, attempted_at__lte=stale).update(
        status=status.FAILED, error_message=INTERRUPTED, **_finished(model))
    with transaction.atomic():
        due = lock_rows(model.objects.filter(status=status.QUEUED, created_at__lte=stale)
                        .filter(Q(attempted_at__isnull=True) | Q(attempted_at__lte=stale))
                        .only("id"), skip_locked=True, limit=limit)
        ids = [log.pk for log in due]
        model.objects.filter(pk__in=ids).update(attempted_at=now)
    return ids
