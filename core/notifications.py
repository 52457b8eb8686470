"""Email and push notifications. Callers say what to send; the sending happens in Celery tasks
after commit, and every message is logged (email: QUEUED -> SENT/FAILED; push: QUEUED ->
SENT/FAILED, or SKIPPED with the reason when it cannot be sent at all; SENDING while an attempt
has claimed it). A log no task sent (the broker down) is sent by `notifications_resend`.

Every order sold logs an email and a push, so those reads and inserts are plain SQL: building
the ORM statements cost more than the database spent running them
(measured with bench/onsale_profile.py; docs/architecture.md, "The on-sale hot path")."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from core.audit import scrub
from core.email_templates import subject_render
from core.errors import NotFound
from core.fcm import fcm_configured
from core.locks import lock_wait
from core.models import (
    EmailLog,
    EmailStatus,
    PushLog,
    PushPriority,
    PushStatus,
    PushToken,
)
from core.sql import insert_rows, marks
from core.tasks import email_deliver, push_deliver
from core.transactions import enqueue_on_commit

REDACTED = "[redacted]"


class TemplateKey:
    ORDER_CONFIRMATION = "order_confirmation"
    TICKET_DELIVERY = "ticket_delivery"
    QUOTA_INVITATION = "quota_invitation"
    SUBQUOTA_INVITATION = "subquota_invitation"
    QUOTA_CANCELLATION = "quota_cancellation"
    TICKET_TRANSFER = "ticket_transfer"
    TICKET_CANCELLATION = "ticket_cancellation"
    MATCH_UPDATE = "match_update"
    MATCH_CANCELLATION = "match_cancellation"
    QUEUE_TURN = "queue_turn"
    REFUND = "refund"
    CANCELLATION_CONFIRMATION = "cancellation_confirmation"
    TICKET_TRANSFERRED_AWAY = "ticket_transferred_away"
    SEAT_CHANGE = "seat_change"
    EXTERNAL_TICKET = "external_ticket"
    REPORT_READY = "report_ready"


def _active_subject(template_key: str) -> str | None:
    """The subject template of the active template with this key (None: there is none)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject FROM core_emailtemplate WHERE template_key = %s"
                       " AND is_active", [template_key])
        row = cursor.fetchone()
    return row[0] if row else None


def email_send(*, template_key: str, to: str, variables: dict,
               private: tuple[str, ...] = ()) -> EmailLog:
    """Queue one email from a stored template; delivered by `email_deliver` after commit. Only
    the subject is rendered here, for the log: the bodies are rendered once, by the task.
    `private` names variables (a sign-in link) only the email may show: the log's readable
    copy, and the subject rendered for it, show them as REDACTED."""
    subject = _active_subject(template_key)
    if subject is None:
        raise NotFound(f"No active email template '{template_key}'.", code="template_not_found")
    shown = variables | dict.fromkeys(set(private) & variables.keys(), REDACTED)
    log = EmailLog(template_key=template_key, recipient_email=to,
                   subject=subject_render(subject, shown)[:200],
                   variables_json=scrub(shown),
                   variables_encrypted=json.dumps(variables, cls=DjangoJSONEncoder),
                   status=EmailStatus.QUEUED, created_at=timezone.now())
    insert_rows([log])
    # The task reads the variables from the log, so none travel through the broker; a broker
    # that cannot take the task leaves the log QUEUED for `notifications_resend`.
    enqueue_on_commit(email_deliver, log.pk, robust=True)
    return log


def push_token_register(*, user, device_id: str, fcm_token: str,
                        platform: str) -> tuple[PushToken, bool]:
    """Upsert by device: a device that changes hands follows its newest signed-in user."""
    with transaction.atomic(), lock_wait():  # update_or_create locks the device's row
        token, created = PushToken.objects.update_or_create(
            device_id=device_id,
            defaults={"user": user, "fcm_token": fcm_token, "platform": platform,
                      "is_active": True, "last_used_at": timezone.now()},
        )
    return token, created


def push_send(*, user, notification_type: str, title: str, body: str, data: dict | None = None,
              priority: str = PushPriority.NORMAL) -> list[PushLog]:
    """One log per active device of `user`, delivered by `push_deliver` after commit."""
    return push_send_many(users=[user], notification_type=notification_type, title=title,
                          body=body, data=data, priority=priority)


def push_send_many(*, users: list, notification_type: str, title: str, body: str,
                   data: dict | None = None,
                   priority: str = PushPriority.NORMAL) -> list[PushLog]:
    """`push_send` of one message to many users (the waiting room admits a batch at once): one
    read of their devices and one insert of all the logs. A user without a device gets a
    SKIPPED log; without FCM configured every log is SKIPPED; QUEUED logs are delivered by
    `push_deliver` after commit."""
    if not users:
        return []
    devices: dict[int, list[PushToken]] = {}
    for token in PushToken.objects.raw(
            f"SELECT * FROM core_pushtoken WHERE is_active AND user_id IN ({marks(users)})",
            [user.pk for user in users]):
        devices.setdefault(token.user_id, []).append(token)
    configured = fcm_configured()
    now = timezone.now()

    def log(user, token, status, error=""):
        return PushLog(user=user, token=token, notification_type=notification_type, title=title,
                       body=body, data_json=data or {}, priority=priority, status=status,
                       error_message=error, created_at=now)

    logs = []
    for user in users:
        tokens = devices.get(user.pk)
        if not tokens:
            logs.append(log(user, None, PushStatus.SKIPPED,
                            "The user has no registered device."))
        elif not configured:
            logs += [log(user, t, PushStatus.SKIPPED,
                         "Push is not configured: set FCM_SERVICE_ACCOUNT_FILE.") for t in tokens]
        else:
            logs += [log(user, t, PushStatus.QUEUED) for t in tokens]
    insert_rows(logs)
    for entry in logs:
        if entry.status == PushStatus.QUEUED:
            enqueue_on_commit(push_deliver, entry.pk, robust=True)  # else the resend sweep
    return logs
