"""The payment providers (E8-F1): Stripe PaymentIntents and refunds against a local server that
speaks Stripe's REST shapes, and the local provider that completes payments through the same
signed-webhook path."""

from decimal import Decimal

import pytest
from celery.exceptions import Retry

from core.errors import Conflict, ServiceUnavailable
from core.models import AuditEvent
from payments.models import Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from payments.refunds import payment_refund
from payments.services import payment_local_complete, payment_start, webhook_handle
from payments.tasks import payment_refund_all
from tests.payments.conftest import intent_event, sign

pytestmark = pytest.mark.django_db


def start(key="order:1:try:1", amount="49.90", reference="order:1"):
    return payment_start(reference=reference, amount=Decimal(amount), idempotency_key=key)


def succeed(payment):
    body = intent_event("payment_intent.succeeded", payment)
    webhook_handle(payload=body, signature=sign(body))
    payment.refresh_from_db()
    return payment


def test_it_creates_a_payment_intent_in_cents_with_the_reference_and_key(stripe_server):
    payment = start()

    [call] = stripe_server.calls("/v1/payment_intents")
    assert call["form"]["amount"] == "4990"
    assert call["form"]["currency"] == "eur"
    assert call["form"]["metadata[reference]"] == "order:1"
    assert call["idempotency_key"] == "order:1:try:1"
    assert call["authorization"] == "Bearer sk_test_x"
    assert payment.provider == "stripe"
    assert payment.provider_payment_id.startswith("pi_")
    assert payment.client_secret.startswith(f"{payment.provider_payment_id}_secret_")
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == Decimal("49.90")


def test_the_same_idempotency_key_returns_the_same_payment_and_one_intent(stripe_server):
    first = start()
    again = start()

    assert again.pk == first.pk
    assert again.provider_payment_id == first.provider_payment_id
    assert len(stripe_server.calls("/v1/payment_intents")) == 1
    assert Payment.objects.count() == 1


def test_a_key_reused_for_another_amount_is_a_conflict(stripe_server):
    start()
    with pytest.raises(Conflict, match="different payment"):
        start(amount="10.00")


def test_a_provider_that_is_down_is_a_503_and_the_same_key_works_later(
        stripe_server, settings, closed_port):
    working_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"

    with pytest.raises(ServiceUnavailable, match="payment provider is unavailable") as error:
        start()
    assert error.value.status_code == 503

    settings.STRIPE_API_BASE = working_base
    payment = start()
    assert payment.provider_payment_id.startswith("pi_")
    assert Payment.objects.count() == 1
    assert [c["idempotency_key"] for c in stripe_server.calls("/v1/payment_intents")] == [
        "order:1:try:1"]


def test_a_refund_calls_stripe_with_a_stable_key_and_is_recorded_and_audited(
        stripe_server, make_user, sent, django_capture_on_commit_callbacks):
    admin = make_user("admin@example.com", staff=True)
    payment = succeed(start())

    with django_capture_on_commit_callbacks(execute=True):
        refund = payment_refund(payment=payment, amount=Decimal("19.90"), reason="fan asked",
                                actor=admin)

    [call] = stripe_server.calls("/v1/refunds")
    assert call["form"] == {"payment_intent": payment.provider_payment_id, "amount": "1990",
                            "metadata[refund_id]": str(refund.pk),
                            "metadata[reference]": payment.reference}
    assert call["idempotency_key"] == f"refund:{refund.pk}:1"
    assert refund.provider_refund_id.startswith("re_")
    assert refund.status == RefundStatus.COMPLETED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal("19.90")
    assert ("payment_refunded", payment.pk) in sent
    audit = AuditEvent.objects.get(action="payment.refund")
    assert audit.actor_id == admin.pk
    assert audit.before["status"] == "SUCCEEDED"
    assert audit.after["status"] == "PARTIALLY_REFUNDED"

    payment_refund(payment=payment, reason="the rest", actor=admin)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == Decimal("49.90")
    assert stripe_server.calls("/v1/refunds")[1]["form"]["amount"] == "3000"


def test_the_refund_task_retries_while_stripe_fails_and_refunds_once(stripe_server):
    payment = succeed(start())
    stripe_server.failures["/v1/refunds"] = 1

    with pytest.raises(Retry) as retry:  # what the worker schedules (eager runs no retries)
        payment_refund_all.delay(payment.pk, "paid after the hold expired")
    assert 0 <= retry.value.when <= 30  # Celery's backoff: full jitter up to retry_backoff
    payment_refund_all.delay(payment.pk, "paid after the hold expired")  # the retry

    calls = stripe_server.calls("/v1/refunds")
    assert len(calls) == 2 and calls[0]["idempotency_key"] == calls[1]["idempotency_key"]
    assert Refund.objects.filter(payment=payment, status=RefundStatus.COMPLETED).count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_a_pending_payment_cannot_be_refunded(stripe_server, make_user):
    from core.errors import InvalidTransition

    with pytest.raises(InvalidTransition):
        payment_refund(payment=start(), reason="x", actor=make_user())
    assert stripe_server.calls("/v1/refunds") == []
    assert not Refund.objects.exists()


def test_the_local_provider_completes_through_the_signed_webhook_path(
        settings, sent, django_capture_on_commit_callbacks):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    payment = start()
    assert payment.provider == "local"
    assert payment.provider_payment_id.startswith("pi_local_")

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_local_complete(payment=payment)

    assert payment.status == PaymentStatus.SUCCEEDED
    event = WebhookEvent.objects.get()
    assert event.type == "payment_intent.succeeded"
    assert event.processed_at is not None
    assert event.payload["data"]["object"]["id"] == payment.provider_payment_id
    assert sent == [("payment_succeeded", payment.pk)]


def test_the_local_refund_needs_no_network(settings, make_user):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_WEBHOOK_SECRET = ""
    payment = payment_local_complete(payment=start())

    refund = payment_refund(payment=payment, reason="cancelled match", actor=make_user())

    assert refund.provider_refund_id.startswith("re_local_")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
