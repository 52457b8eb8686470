"""Emails and pushes no task sent (the broker was down when they were queued, or Redis lost the
task) are sent by the `notifications_resend` sweep once NOTIFICATION_RESEND_GRACE_SECONDS have
passed, and every log is sent once at most: each attempt claims it (QUEUED -> SENDING) first."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from core.delivery import INTERRUPTED, log_claim, resend_due
from core.models import EmailLog, EmailStatus, PushLog, PushStatus
from core.notifications import email_send, push_send
from core.tasks import email_deliver, notifications_resend
from tests.concurrency import run_together
from tests.core import test_push
from tests.core.test_email import ORDER, closed_port
from tests.redis_server import RedisServer, use_redis

pytestmark = pytest.mark.django_db

# The push tests' fake FCM and registered device.
fcm_server, phone, private_key = test_push.fcm_server, test_push.phone, test_push.private_key


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Celery's broker (and the cache and channel layer) on a port nothing listens on; `up()`
    brings back a broker that works (eager, as a worker would run the tasks)."""
    use_redis(RedisServer().url, settings, monkeypatch)

    class Broker:
        @staticmethod
        def up():
            monkeypatch.setitem(celery_app.conf, "task_always_eager", True)

    return Broker()


def after_grace(settings):
    return time_machine.travel(
        timezone.now() + timedelta(seconds=settings.NOTIFICATION_RESEND_GRACE_SECONDS + 1))


def queued_email(capture, **variables) -> EmailLog:
    with capture(execute=True):  # the task cannot be queued: logged, the commit stands
        log = email_send(template_key="order_confirmation", to="ana@example.com",
                         variables={**ORDER, **variables})
    log.refresh_from_db()
    return log


def test_an_email_whose_task_could_not_be_queued_waits_for_the_sweep(
        broker_down, mailoutbox, settings, django_capture_on_commit_callbacks):
    log = queued_email(django_capture_on_commit_callbacks)
    assert (log.status, log.attempts) == (EmailStatus.QUEUED, 0)
    broker_down.up()

    assert notifications_resend() == {"emails": 0, "pushes": 0}  # its task may still come
    with after_grace(settings):
        assert notifications_resend() == {"emails": 1, "pushes": 0}
        assert notifications_resend() == {"emails": 0, "pushes": 0}

    log.refresh_from_db()
    assert (log.status, log.attempts) == (EmailStatus.SENT, 1)
    [message] = mailoutbox
    assert message.to == ["ana@example.com"]
    assert "Total paid: 106.00 EUR." in message.body


def test_the_resent_email_renders_from_the_encrypted_variables_not_the_logged_copy(
        broker_down, mailoutbox, settings, django_capture_on_commit_callbacks):
    log = queued_email(django_capture_on_commit_callbacks, order_number="HNS-2026-000999")
    with connection.cursor() as cursor:
        cursor.execute("SELECT variables_encrypted FROM core_emaillog WHERE id = %s", [log.pk])
        [stored] = cursor.fetchone()
    assert stored and "HNS-2026-000999" not in stored  # ciphertext at rest
    EmailLog.objects.filter(pk=log.pk).update(variables_json={})
    broker_down.up()

    with after_grace(settings):
        notifications_resend()

    [message] = mailoutbox
    assert "HNS-2026-000999" in message.subject
    log.refresh_from_db()
    assert log.variables_encrypted == ""  # not kept once sent


def test_a_late_task_for_an_email_the_sweep_sent_sends_nothing(
        broker_down, mailoutbox, settings, django_capture_on_commit_callbacks):
    log = queued_email(django_capture_on_commit_callbacks)
    broker_down.up()
    with after_grace(settings):
        notifications_resend()

    email_deliver.delay(log.pk)  # the original task, redelivered after all

    assert len(mailoutbox) == 1
    log.refresh_from_db()
    assert (log.status, log.attempts) == (EmailStatus.SENT, 1)


def test_an_email_another_attempt_has_claimed_is_left_to_it(
        broker_down, mailoutbox, settings, django_capture_on_commit_callbacks):
    log = queued_email(django_capture_on_commit_callbacks)
    broker_down.up()
    assert log_claim(EmailLog, log.pk)

    email_deliver.delay(log.pk)
    assert notifications_resend() == {"emails": 0, "pushes": 0}

    assert mailoutbox == []
    assert EmailLog.objects.get(pk=log.pk).status == EmailStatus.SENDING


def test_an_email_interrupted_mid_send_is_failed_rather_than_sent_twice(
        broker_down, mailoutbox, settings, django_capture_on_commit_callbacks):
    log = queued_email(django_capture_on_commit_callbacks)
    broker_down.up()
    assert log_claim(EmailLog, log.pk)  # and then the worker died

    with after_grace(settings):
        assert notifications_resend() == {"emails": 0, "pushes": 0}

    log.refresh_from_db()
    assert (log.status, log.error_message, log.variables_encrypted) == (
        EmailStatus.FAILED, INTERRUPTED, "")
    assert mailoutbox == []


def test_attempts_count_across_tasks_so_a_resend_does_not_start_them_again(
        broker_down, settings, eager_retries, django_capture_on_commit_callbacks):
    log = queued_email(django_capture_on_commit_callbacks)
    EmailLog.objects.filter(pk=log.pk).update(attempts=3)  # a task tried 3 times, then was lost
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    broker_down.up()

    with after_grace(settings):  # eager Celery runs every retry at once
        notifications_resend()

    log.refresh_from_db()
    assert (log.status, log.attempts) == (EmailStatus.FAILED, email_deliver.max_retries + 1)
    assert "refused" in log.error_message.lower()


def test_a_push_whose_task_could_not_be_queued_is_sent_by_the_sweep(
        broker_down, fcm_server, phone, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [log] = push_send(user=phone.user, notification_type="queue_turn", title="Your turn",
                          body="Buy now")
    assert PushLog.objects.get(pk=log.pk).status == PushStatus.QUEUED
    broker_down.up()

    with after_grace(settings):
        assert notifications_resend() == {"emails": 0, "pushes": 1}
        assert notifications_resend() == {"emails": 0, "pushes": 0}

    log.refresh_from_db()
    assert (log.status, log.attempts) == (PushStatus.SENT, 1)
    assert len(fcm_server.sends) == 1


def test_the_sweep_runs_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-resend"]

    assert entry == {"task": "core.tasks.notifications_resend", "schedule": 60.0}
    assert entry["task"] in celery_app.tasks


def test_the_email_log_admin_never_shows_the_encrypted_variables(
        admin_client, broker_down, django_capture_on_commit_callbacks):
    log = queued_email(django_capture_on_commit_callbacks)

    page = admin_client.get(f"/admin/core/emaillog/{log.pk}/change/")

    assert page.status_code == 200
    assert b"Variables encrypted" not in page.content
    assert log.variables_encrypted.encode() not in page.content


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_take_the_same_log(settings, email_templates):
    logs = EmailLog.objects.bulk_create(
        EmailLog(template_key="order_confirmation", recipient_email=f"fan{n}@example.com")
        for n in range(40))

    with after_grace(settings):
        taken = run_together(2, lambda _: resend_due(EmailLog, limit=100))

    assert not set(taken[0]) & set(taken[1])
    assert sorted(taken[0] + taken[1]) == sorted(log.pk for log in logs)
