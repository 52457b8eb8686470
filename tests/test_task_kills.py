"""A Celery worker killed mid-task: the task runs in a child process against the test database,
is stopped with SIGKILL at a point the test controls (a local server that takes the request and
never answers, or a row lock the test holds), and the platform's own recovery (the beat sweeps,
the next tick) finishes the work. Nothing is sent twice, every cancelled order is refunded once,
and a waiting room admits each fan once, within its cap."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection, transaction

from core.delivery import INTERRUPTED
from core.models import EmailLog, EmailStatus, PushLog
from core.tasks import notifications_resend
from payments.models import PaymentStatus, Refund, RefundStatus
from payments.tasks import refunds_resend
from queueing import services as queue
from queueing.models import QueueEntry, QueueStatus
from queueing.tasks import queue_tick
from tests.core import test_email
from tests.payments import conftest as payments
from tests.queueing.factories import make_queue
from tests.ticketing import test_checkout
from tests.ticketing.aftersale import conftest as aftersale
from tests.ticketing.aftersale import test_match_cancellation
from tests.ticketing.test_checkout import buyer_profile, valid_oib
from ticketing.aftersale.models import MatchCancellation, MatchCancellationStatus
from ticketing.aftersale.tasks import match_cancellations_resume
from ticketing.models import OrderStatus, Ticket, TicketStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Fixtures of the tests these scenarios build on: their local SMTP and Stripe servers, and the
# paid orders and the Super Admin of the match cancellation tests.
smtp_server, stripe_server = test_email.smtp_server, payments.stripe_server
buyer, match, zone = test_checkout.buyer, test_checkout.match, test_checkout.zone
paid, super_admin = aftersale.paid, test_match_cancellation.super_admin

ROOT = Path(__file__).resolve().parent.parent
# The test environment's provider settings are not the worker's: each scenario names its own.
PROVIDERS = ("EMAIL_", "STRIPE_", "PAYMENTS_", "FCM_", "CELERY_", "DB_LOCK_")


# --- the worker: a child process killed at a known point --------------------------------------


class Worker:
    def __init__(self, code: str, log: Path, env: dict):
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import django; django.setup()\n" + textwrap.dedent(code)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill_when(self, condition, what: str, timeout: float = 60):
        """SIGKILL the worker as soon as `condition()` is true (it returns what that gave)."""
        deadline = time.monotonic() + timeout
        while not (found := condition()):
            assert self.process.poll() is None, (
                f"the worker ended before {what}:\n{self.log.read_text()}"
            )
            assert time.monotonic() < deadline, f"timed out waiting until {what}"
            time.sleep(0.02)
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL
        return found


@pytest.fixture
def worker(tmp_path):
    """worker(code, **env) -> a Worker running `code` after django.setup(), with Celery eager (a
    task's follow-up tasks run in the same process, as one worker would run them)."""
    started = []

    def start(code: str, **env) -> Worker:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDERS)}
        environment |= {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/"
            + connection.settings_dict["NAME"],
            "DJANGO_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "DB_LOCK_TIMEOUT_MS": "60000",  # it waits for the test's locks until it is killed
            **env,
        }
        started.append(Worker(code, tmp_path / f"worker{len(started)}.log", environment))
        return started[-1]

    yield start
    for child in started:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait()


@contextmanager
def hanging(server, handler):
    """Let `server` answer with `handler`, which calls `hang` instead of answering; the block
    yields the event set once a request hangs. Afterwards the hung request is let go and the
    server answers as before."""
    original = server.RequestHandlerClass
    server.hung, server.let_go = threading.Event(), threading.Event()
    server.RequestHandlerClass = handler
    try:
        yield server.hung
    finally:
        server.RequestHandlerClass = original
        server.let_go.set()


def hang(server) -> None:
    server.hung.set()
    server.let_go.wait(timeout=60)


class _SmtpTakesTheMessageAndHangs(test_email._SmtpHandler):
    """The SMTP server has the whole message; its "250 queued" never comes."""

    def reply(self, line: str):
        if line.startswith("250 OK queued"):
            return hang(self.server)
        return super().reply(line)


class _StripeMakesTheRefundAndHangs(payments._StripeHandler):
    """Stripe makes the refund (and answers its idempotency key with it from now on); the answer
    never leaves."""

    def reply(self, status: int, body: dict, headers: dict | None = None):
        if self.path == "/v1/refunds":
            return hang(self.server)
        return super().reply(status, body, headers)


def blocked_by_us() -> int | None:
    """The backend waiting for a lock this test's connection holds, if one is."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh activity in this transaction
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def wait_until_gone(backend: int, timeout: float = 30) -> None:
    """A killed worker's backend ends once it next talks to its client (it was waiting for a
    lock): its transaction is then rolled back, or committed if it had asked for the commit."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend])
            if cursor.fetchone() is None:
                return
        assert time.monotonic() < deadline, f"backend {backend} is still there"
        time.sleep(0.02)


def later(minutes: int):
    return time_machine.travel(timedelta(minutes=minutes))


# --- 1. an email ------------------------------------------------------------------------------

SEND_EMAIL = f"""
    from core.notifications import email_send
    email_send(template_key="order_confirmation", to="ana@example.com",
               variables={test_email.ORDER!r})
"""


def test_an_email_killed_mid_smtp_is_failed_by_the_resend_sweep_not_sent_again(
    worker, smtp_server, email_templates, settings
):
    """Killed after the SMTP server took the message and before it said "250 queued"; the
    resend sweep, past NOTIFICATION_RESEND_GRACE_SECONDS, makes it FAILED, not a second copy."""
    with hanging(smtp_server, _SmtpTakesTheMessageAndHangs) as hung:
        worker(SEND_EMAIL, EMAIL_URL=f"smtp://127.0.0.1:{settings.EMAIL_PORT}").kill_when(
            hung.is_set, "the SMTP server had the message"
        )
    log = EmailLog.objects.get()
    assert log.status == EmailStatus.SENDING  # claimed and handed over: it may have gone out

    grace = settings.NOTIFICATION_RESEND_GRACE_SECONDS // 60 + 1
    for minutes in (grace, 2 * grace):  # the sweep, and a later one that changes nothing
        with later(minutes):
            assert notifications_resend() == {"emails": 0, "pushes": 0}
        log.refresh_from_db()
        assert (log.status, log.attempts, log.error_message, log.variables_encrypted) == (
            EmailStatus.FAILED,
            0,
            INTERRUPTED,
            "",
        )
    assert len(smtp_server.messages) == 1


# --- 2. a cancelled match's refund batch ------------------------------------------------------

CANCEL_MATCH = """
    from ticketing.aftersale.services.match_cancel import match_cancel
    from ticketing.models import User
    match_cancel(match_id={match}, actor=User.objects.get(pk={actor}), reason="storm")
"""


def four_orders_paid_at_stripe(paid, login) -> list:
    orders = [paid(1)]
    for n in range(3):
        fan = login(f"fan{n}@example.com")
        buyer_profile(fan.user, oib=valid_oib(6100 + n))
        orders.append(paid(1, client=fan))
    for order in orders:
        aftersale.paid_at_stripe(order)
    return orders


def sweeps_of_the_beat() -> None:
    match_cancellations_resume()
    refunds_resend()
    notifications_resend()


def test_a_refund_batch_killed_mid_refund_is_finished_by_the_sweeps_refunding_each_order_once(
    worker,
    stripe_server,
    paid,
    super_admin,
    login,
    match,
    email_templates,
    mailoutbox,
    settings,
):
    """Killed in the cancelled match's job while Stripe made its first refund (made, the answer
    lost); match-cancellations-resume, refunds-resend and notifications-resend finish it."""
    orders = four_orders_paid_at_stripe(paid, login)
    with hanging(stripe_server, _StripeMakesTheRefundAndHangs) as hung:
        worker(
            CANCEL_MATCH.format(match=match.pk, actor=super_admin.user.pk),
            PAYMENTS_PROVIDER="stripe",
            STRIPE_SECRET_KEY="sk_test_x",
            STRIPE_WEBHOOK_SECRET="whsec_x",
            STRIPE_API_BASE=settings.STRIPE_API_BASE,
        ).kill_when(hung.is_set, "Stripe was asked for a refund")
    [interrupted] = Refund.objects.all()  # its order cancelled, the others not started
    assert (interrupted.status, interrupted.provider_refund_id) == (RefundStatus.PROCESSING, None)
    assert Ticket.objects.filter(status=TicketStatus.VALID).count() == 3

    with later(11):  # past the sweeps' 5 and 10 minutes
        sweeps_of_the_beat()
    done = (
        len(stripe_server.requests),
        len(mailoutbox),
        set(Refund.objects.values_list("pk", "status", "provider_refund_id")),
    )
    with later(22):
        sweeps_of_the_beat()
    assert (
        len(stripe_server.requests),
        len(mailoutbox),
        set(Refund.objects.values_list("pk", "status", "provider_refund_id")),
    ) == done

    assert not Ticket.objects.filter(status=TicketStatus.VALID).exists()
    for order in orders:
        order.refresh_from_db()
        order.payment.refresh_from_db()
        [refund] = Refund.objects.filter(reference=order.payment_reference)
        assert (order.status, refund.status, refund.amount, order.payment.status) == (
            OrderStatus.REFUNDED,
            RefundStatus.COMPLETED,
            order.total_amount,
            PaymentStatus.REFUNDED,
        )
    made = {
        body["id"]
        for (path, _), body in stripe_server.replies_by_key.items()
        if path == "/v1/refunds"
    }
    assert set(Refund.objects.values_list("provider_refund_id", flat=True)) == made
    assert len(made) == len(orders)  # the interrupted one was asked again with its key:
    keys = Counter(call["idempotency_key"] for call in stripe_server.calls("/v1/refunds"))
    assert keys == {
        refund.idempotency_key: 2 if refund.pk == interrupted.pk else 1
        for refund in Refund.objects.all()
    }
    cancellation = MatchCancellation.objects.get()
    assert (cancellation.status, cancellation.orders_done) == (
        MatchCancellationStatus.COMPLETED,
        len(orders),
    )
    statuses = Counter(EmailLog.objects.values_list("status", flat=True))
    assert set(statuses) == {EmailStatus.SENT} and len(mailoutbox) == statuses[EmailStatus.SENT]


# --- 3. a waiting room's admission tick -------------------------------------------------------

QUEUE_TICK = """
    from queueing.tasks import queue_tick
    queue_tick()
"""


@pytest.mark.parametrize(
    ("held", "admitted_by_the_killed_tick"),
    [("entry", 0), ("user", 3)],
    ids=["in-its-update", "in-its-commit"],
)
def test_a_queue_tick_killed_mid_admission_leaves_each_fan_admitted_once_within_the_cap(
    worker, make_user, held, admitted_by_the_killed_tick
):
    """Killed while admitting three of five fans, waiting for a row lock the test holds: the
    third fan's entry (in the admission UPDATE: rolled back) or user row (the push log's foreign
    key, checked at COMMIT: the commit it had asked for goes through, its after-commit messages
    never go). The next queue_tick finishes the work; another admits no one more."""
    room = make_queue(max_open_windows=3)
    fans = [make_user() for _ in range(5)]
    for fan in fans:
        queue.queue_join(match_id=room.match_id, user=fan)
    third = QueueEntry.objects.get(user=fans[2]) if held == "entry" else fans[2]

    with transaction.atomic():
        type(third).objects.select_for_update().get(pk=third.pk)
        backend = worker(QUEUE_TICK).kill_when(blocked_by_us, "the tick waited for our lock")
    wait_until_gone(backend)
    assert QueueEntry.objects.filter(status=QueueStatus.ADMITTED).count() == (
        admitted_by_the_killed_tick
    )
    queue_tick()
    queue_tick()

    entries = {entry.user_id: entry for entry in QueueEntry.objects.filter(match=room.match)}
    assert QueueEntry.objects.filter(match=room.match).count() == len(fans)
    assert [entries[fan.pk].status for fan in fans] == [QueueStatus.ADMITTED] * 3 + [
        QueueStatus.WAITING
    ] * 2
    told = Counter(
        PushLog.objects.filter(notification_type="queue_turn").values_list("user_id", flat=True)
    )
    assert told == Counter(fan.pk for fan in fans[:3])
    assert [queue.entry_position(entries[fan.pk]) for fan in fans[3:]] == [1, 2]
    assert queue.queue_size(room.match_id) == 2
