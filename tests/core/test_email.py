"""Transactional email (E15-F1): the seeded templates, rendering, and delivery through Django's
mail backends, logged QUEUED -> SENT/FAILED on EmailLog."""

import socket
import socketserver
import threading
from email import message_from_bytes, policy

import pytest

from core.email_templates import email_render
from core.errors import NotFound
from core.models import EmailLog, EmailStatus, EmailTemplate
from core.notifications import email_send
from core.tasks import email_deliver

SEEDED_KEYS = {
    "order_confirmation", "ticket_delivery", "quota_invitation", "subquota_invitation",
    "quota_cancellation", "ticket_transfer", "ticket_cancellation", "match_update",
    "match_cancellation", "queue_turn", "refund",
}

ORDER = {"name": "Ana Horvat", "order_number": "HNS-2026-000777", "match": "Croatia v Italy",
         "total": "106.00"}


def send(capture, **kwargs) -> EmailLog:
    """email_send, with its on-commit delivery run; returns the refreshed log."""
    with capture(execute=True):
        log = email_send(**kwargs)
    log.refresh_from_db()
    return log


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: greeting, EHLO/HELO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 localhost test ESMTP")
        envelope = {"from": None, "to": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self.reply("250-localhost")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 localhost")
            elif verb == "MAIL":
                envelope = {"from": command.split(":", 1)[1].strip(), "to": []}
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(command.split(":", 1)[1].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.messages.append({**envelope, "data": b"".join(lines)})
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def smtp_server(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.server_address[1]
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    yield server
    server.shutdown()
    server.server_close()


def test_all_eleven_templates_are_seeded_and_active(db):
    templates = EmailTemplate.objects.filter(template_key__in=SEEDED_KEYS, is_active=True)

    assert set(templates.values_list("template_key", flat=True)) == SEEDED_KEYS


@pytest.mark.parametrize("key", sorted(SEEDED_KEYS))
def test_each_template_renders_its_own_sample_variables_completely(db, key):
    template = EmailTemplate.objects.get(template_key=key)
    assert template.variables, "every template documents its variables with sample values"

    subject, text, html = email_render(template, template.variables)

    for part in (subject, text, html):
        assert part.strip()
        assert "{{" not in part and "}}" not in part and "{%" not in part
    for name, sample in template.variables.items():
        assert str(sample) in subject + text, f"{key}: variable {name} is never used"
    assert html.lstrip().startswith("<div")


def test_html_is_autoescaped_but_subject_and_text_are_not(db):
    template = EmailTemplate.objects.get(template_key="ticket_transfer")
    variables = {**template.variables, "sender": "<script>alert(1)</script> & Co"}

    subject, text, html = email_render(template, variables)

    assert subject == "<script>alert(1)</script> & Co transferred a ticket to you"
    assert "<script>alert(1)</script> & Co transferred" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co transferred" in html
    assert "<script>" not in html


def test_sending_queues_a_log_then_delivers_it_on_commit(db, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        log = email_send(template_key="order_confirmation", to="ana@example.com",
                         variables=ORDER)

    log.refresh_from_db()
    assert log.status == EmailStatus.QUEUED
    assert log.subject == "Order HNS-2026-000777 confirmed"
    assert log.variables_json == ORDER
    assert mailoutbox == []

    for callback in callbacks:
        callback()

    log.refresh_from_db()
    assert log.status == EmailStatus.SENT
    assert log.sent_at is not None
    assert log.attempts == 1
    assert log.provider == "locmem"
    assert log.provider_message_id.startswith("<") and "@tickets.hns.example>" in (
        log.provider_message_id)
    assert log.error_message == ""
    [message] = mailoutbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "Order HNS-2026-000777 confirmed"
    assert message.extra_headers["Message-ID"] == log.provider_message_id
    assert "Total paid: 106.00 EUR." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>HNS-2026-000777</strong>" in html


def test_an_unknown_template_key_is_not_found(db):
    with pytest.raises(NotFound) as raised:
        email_send(template_key="no_such_template", to="ana@example.com", variables={})

    assert raised.value.code == "template_not_found"
    assert not EmailLog.objects.exists()


def test_an_inactive_template_is_not_found(db):
    EmailTemplate.objects.filter(template_key="refund").update(is_active=False)

    with pytest.raises(NotFound):
        email_send(template_key="refund", to="ana@example.com", variables={})


def test_an_smtp_failure_is_retried_then_logged_failed(db, settings, eager_retries,
                                                      django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_TIMEOUT = 1
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False

    # Eager Celery runs every retry at once, ignoring the backoff countdown.
    log = send(django_capture_on_commit_callbacks, template_key="order_confirmation",
               to="ana@example.com", variables=ORDER)

    assert log.status == EmailStatus.FAILED
    assert log.attempts == email_deliver.max_retries + 1
    assert "refused" in log.error_message.lower()
    assert log.sent_at is None
    assert log.provider_message_id == ""


def test_delivering_an_already_sent_log_again_sends_nothing(db, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    log = send(django_capture_on_commit_callbacks, template_key="order_confirmation",
               to="ana@example.com", variables=ORDER)
    assert log.status == EmailStatus.SENT
    sent_at, message_id = log.sent_at, log.provider_message_id

    email_deliver.delay(log.pk, ORDER)  # a redelivered task

    log.refresh_from_db()
    assert len(mailoutbox) == 1
    assert (log.status, log.attempts) == (EmailStatus.SENT, 1)
    assert (log.sent_at, log.provider_message_id) == (sent_at, message_id)


def test_an_oib_is_logged_masked_and_a_passport_number_not_at_all(
        db, mailoutbox, django_capture_on_commit_callbacks):
    variables = {**ORDER, "oib": "12345678903", "passport_number": "P9876543"}

    log = send(django_capture_on_commit_callbacks, template_key="order_confirmation",
               to="ana@example.com", variables=variables)

    assert log.variables_json["oib"] == "*******8903"
    assert "passport_number" not in log.variables_json
    assert "12345678903" not in str(log.variables_json)
    assert "P9876543" not in str(log.variables_json)
    assert log.status == EmailStatus.SENT  # the task still had the full variables to render


def test_a_real_smtp_server_receives_the_message(db, smtp_server,
                                                 django_capture_on_commit_callbacks):
    log = send(django_capture_on_commit_callbacks, template_key="order_confirmation",
               to="ana@example.com", variables={**ORDER, "name": "Ana Horvat Šimić"})

    assert log.status == EmailStatus.SENT
    assert log.provider == "smtp"
    [received] = smtp_server.messages
    assert received["to"] == ["<ana@example.com>"]
    assert "ulaznice@hns.example" in received["from"]
    message = message_from_bytes(received["data"], policy=policy.default)
    assert message["Subject"] == "Order HNS-2026-000777 confirmed"
    assert message["Message-ID"] == log.provider_message_id
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Ana Horvat Šimić," in text
    assert "<strong>HNS-2026-000777</strong>" in html
