"""Stripe webhooks (E8-F1): signature checks, and idempotent, ordered status changes that fire
each payments signal once."""

import time
from decimal import Decimal

import pytest

from payments.models import Payment, PaymentStatus, Refund, WebhookEvent
from payments.services import payment_start, webhook_handle
from tests.concurrency import run_together
from tests.payments.conftest import event, intent_event, sign

URL = "/api/webhooks/stripe"


@pytest.fixture
def payment(stripe_server):
    return payment_start(reference="order:7", amount=Decimal("30.00"), idempotency_key="k-7")


def deliver(api, body, signature=None):
    return api.post(URL, data=body, content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign(body) if signature is None else signature)


@pytest.mark.django_db
def test_a_signed_success_marks_the_payment_succeeded_and_signals_once(
        api, payment, sent, django_capture_on_commit_callbacks):
    body = intent_event("payment_intent.succeeded", payment)

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(api, body)

    assert response.status_code == 200
    assert response.json() == {"received": True}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert sent == [("payment_succeeded", payment.pk)]
    assert WebhookEvent.objects.get().processed_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("signature", ["", "t=1,v1=deadbeef", "garbage"])
def test_a_bad_signature_is_a_400_and_changes_nothing(api, payment, sent, signature):
    response = deliver(api, intent_event("payment_intent.succeeded", payment), signature)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_signature"
    assert set(response.json()) == {"error", "detail", "fields"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not WebhookEvent.objects.exists()
    assert sent == []


@pytest.mark.django_db
def test_a_body_signed_with_another_secret_is_refused(api, payment):
    body = intent_event("payment_intent.succeeded", payment)
    assert deliver(api, body, sign(body, secret="whsec_other")).status_code == 400


@pytest.mark.django_db
def test_the_same_webhook_replayed_five_times_succeeds_once(
        api, payment, sent, django_capture_on_commit_callbacks):
    body = intent_event("payment_intent.succeeded", payment)

    with django_capture_on_commit_callbacks(execute=True):
        responses = [deliver(api, body) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert sent == [("payment_succeeded", payment.pk)]
    assert WebhookEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_failure_arriving_after_the_success_changes_nothing(
        api, payment, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(api, intent_event("payment_intent.succeeded", payment))
        response = deliver(api, intent_event("payment_intent.payment_failed", payment,
                                             last_payment_error={"message": "declined"}))

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.failure_message == ""
    assert sent == [("payment_succeeded", payment.pk)]


@pytest.mark.django_db
def test_a_failed_payment_can_succeed_on_retry(
        api, payment, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(api, intent_event("payment_intent.payment_failed", payment, last_payment_error={
            "code": "card_declined", "message": "Your card was declined."}))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == "Your card was declined."

    with django_capture_on_commit_callbacks(execute=True):
        deliver(api, intent_event("payment_intent.succeeded", payment))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.failure_message == ""
    assert sent == [("payment_failed", payment.pk), ("payment_succeeded", payment.pk)]


@pytest.mark.django_db
def test_a_refund_made_in_the_stripe_dashboard_is_recorded(
        api, payment, sent, django_capture_on_commit_callbacks):
    deliver(api, intent_event("payment_intent.succeeded", payment))
    charge = {"id": "ch_1", "object": "charge", "payment_intent": payment.provider_payment_id,
              "amount": 3000, "amount_refunded": 1000, "refunded": False,
              "refunds": {"object": "list", "data": [
                  {"id": "re_dash", "object": "refund", "amount": 1000,
                   "status": "succeeded"}]}}

    with django_capture_on_commit_callbacks(execute=True):
        deliver(api, event("charge.refunded", charge))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal("10.00")
    refund = Refund.objects.get()
    assert (refund.provider_refund_id, refund.amount, refund.status) == (
        "re_dash", Decimal("10.00"), "COMPLETED")
    assert sent == [("payment_refunded", payment.pk)]


@pytest.mark.django_db
def test_unknown_events_are_stored_and_ignored(api, payment):
    response = deliver(api, event("customer.created", {"id": "cus_1", "object": "customer"}))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().type == "customer.created"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_deliveries_of_one_success_make_one_transition(payment, sent):
    body = intent_event("payment_intent.succeeded", payment)
    signature = sign(body)
    results = run_together(10, lambda _: webhook_handle(payload=body, signature=signature))
    errors = [r for r in results if isinstance(r, Exception)]

    assert errors == []
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert WebhookEvent.objects.count() == 1
    assert sent == [("payment_succeeded", payment.pk)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_distinct_success_events_still_make_one_transition(payment, sent):
    bodies = [intent_event("payment_intent.succeeded", payment) for _ in range(10)]
    results = run_together(10, lambda i: webhook_handle(payload=bodies[i],
                                                        signature=sign(bodies[i])))
    errors = [r for r in results if isinstance(r, Exception)]

    assert errors == []
    assert WebhookEvent.objects.count() == 10
    assert sent == [("payment_succeeded", payment.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b'{"object": "v2.core.event", '
                                  b'"id": "evt_thin", "type": "v1.billing.meter.no_meter_found"}'])
def test_a_signed_body_that_is_not_a_stripe_event_is_a_400(api, payment, sent, body):
    response = deliver(api, body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()
    assert sent == []


@pytest.mark.django_db
def test_a_signature_older_than_stripes_tolerance_is_refused(api, payment):
    body = intent_event("payment_intent.succeeded", payment)

    response = deliver(api, body, sign(body, timestamp=int(time.time()) - 301))

    assert response.status_code == 400
    assert "tolerance" in response.json()["detail"]


@pytest.mark.django_db
def test_handling_says_whether_the_event_was_new(payment, sent):
    body = intent_event("payment_intent.succeeded", payment)

    assert webhook_handle(payload=body, signature=sign(body)) is True
    assert webhook_handle(payload=body, signature=sign(body)) is False
    assert WebhookEvent.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("received", [
    {"amount": 1, "amount_received": 1},  # one cent for a 30.00 payment
    {"amount": 3000, "amount_received": 3000, "currency": "usd"},
    {"amount": 3000, "amount_received": 2999},
])
def test_a_success_for_another_amount_or_currency_completes_nothing(
        api, payment, sent, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(api, intent_event("payment_intent.succeeded", payment, **received))

    assert response.status_code == 200  # stored, so Stripe stops sending it; nothing changes
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert sent == []
