"""A payment that succeeded always completes what it pays for, or is refunded (at least once):
the success webhook records it, a task completes the order (quota claims:
tests/quotas/test_claim_payment_delivery.py) after commit and is
retried on a database error, a sweep delivers what no task did (a worker killed between the
commit and the completion), and no expiry sweep expires what a succeeded payment paid for."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.db import OperationalError, connection
from django.utils import timezone

from payments.models import Payment, PaymentStatus
from payments.outcomes import payment_success_deliver, payments_undelivered_sweep
from tests.payments.conftest import intent_event
from tests.ticketing import test_checkout as base
from tests.ticketing.test_order_payment import deliver, ordered
from ticketing.models import Order, OrderStatus, Ticket
from ticketing.services.checkout import orders_expire

pytestmark = pytest.mark.django_db

local_payments, buyer, match, zone = base.local_payments, base.buyer, base.match, base.zone
GRACE = timedelta(seconds=61)  # past PAYMENT_DELIVERY_GRACE_SECONDS


@contextmanager
def database_fails_once(statement: str):
    """The first statement starting with `statement` fails as a lost connection would (Django's
    documented execute_wrapper hook: the database is the boundary, our code runs unchanged)."""
    failed = []

    def wrapper(execute, sql, params, many, context):
        if not failed and sql.lstrip().upper().replace('"', "").startswith(statement):
            failed.append(sql)
            raise OperationalError("injected: server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield failed


def succeed_without_delivery(api, payment, capture):
    """The success webhook commits, then its process dies before the completion task runs:
    the on-commit callbacks are dropped, not run."""
    with capture(execute=False):
        assert deliver(api, intent_event("payment_intent.succeeded", payment)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.delivered_at is None


# --- orders -----------------------------------------------------------------------------------

def test_a_completion_that_fails_once_is_retried_and_completes_the_order(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 2)
    payment = Payment.objects.get()
    succeed_without_delivery(api, payment, django_capture_on_commit_callbacks)

    with database_fails_once("INSERT INTO TICKETING_TICKET ") as failed, \
            pytest.raises(Retry):
        payment_success_deliver.delay(payment.pk)
    assert failed  # the ticket insert failed, and the task asked Celery to retry it

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT and not Ticket.objects.exists()
    assert payment.delivered_at is None

    assert payment_success_deliver.delay(payment.pk).get() is True  # Celery's retry
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and Ticket.objects.filter(order=order).count() == 2
    assert payment.delivered_at is not None


def test_the_webhook_answers_200_when_the_completion_fails_and_the_retry_completes_it(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 1)
    payment = Payment.objects.get()

    with database_fails_once("INSERT INTO TICKETING_TICKET "), \
            django_capture_on_commit_callbacks(execute=True):
        response = deliver(api, intent_event("payment_intent.succeeded", payment))

    assert response.status_code == 200  # Stripe is told we have it; we owe the completion
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    payment_success_deliver.delay(payment.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_a_worker_killed_before_completion_leaves_it_to_the_sweep(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 2)
    payment = Payment.objects.get()
    succeed_without_delivery(api, payment, django_capture_on_commit_callbacks)

    assert payments_undelivered_sweep.delay().get() == 0  # its own task may still be running
    with time_machine.travel(timezone.now() + GRACE), \
            django_capture_on_commit_callbacks(execute=True):
        assert payments_undelivered_sweep.delay().get() == 1

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.payment == payment
    assert Ticket.objects.filter(order=order).count() == 2
    assert payment.delivered_at is not None
    assert payments_undelivered_sweep.delay().get() == 0  # delivered once


def test_a_paid_order_is_never_expired_and_the_sweep_refunds_it_once_the_hold_is_gone(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 2)
    payment = Payment.objects.get()
    succeed_without_delivery(api, payment, django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + timedelta(minutes=30)), \
            django_capture_on_commit_callbacks(execute=True):
        assert orders_expire() == 0
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING_PAYMENT
        assert payments_undelivered_sweep.delay().get() == 1

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED  # the seats were no longer held: money back
    assert payment.status == PaymentStatus.REFUNDED and payment.refunds.count() == 1
    assert not Ticket.objects.exists()


def test_an_unpaid_order_still_expires(buyer, match, zone):
    order = ordered(buyer, match, zone, 1)

    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        assert orders_expire() == 1

    assert Order.objects.get(pk=order.pk).status == OrderStatus.EXPIRED
