"""Payment providers (E8-F1). `provider()` picks one by `settings.PAYMENTS_PROVIDER`:

- `StripeProvider`: PaymentIntents and refunds through the official `stripe` SDK, with our own
  idempotency keys, a timeout, and a few network retries (safe because the keys make them
  idempotent). `STRIPE_API_BASE` points the client elsewhere (the tests' local server).
- `LocalProvider`: the embedded default. It invents ids, and completes a payment by signing a
  Stripe-shaped event exactly as Stripe does, so the demo runs through the real webhook path.

Both verify webhooks with the SDK's `stripe.WebhookSignature.verify_header`. Provider outages
become `ServiceUnavailable` (503) with a message; the caller may retry with the same key."""

import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal

import stripe
from django.conf import settings

from core.errors import DomainError, ServiceUnavailable, ValidationFailed
from payments.models import Provider
from payments.pricing import CENT, HUNDRED, money

TIMEOUT_SECONDS = 10
NETWORK_RETRIES = 2


class InvalidSignature(DomainError):
    code = "invalid_signature"


def to_cents(amount: Decimal) -> int:
    return int(money(amount) * HUNDRED)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / HUNDRED).quantize(CENT)


def webhook_secret() -> str:
    """The signing secret. The local provider needs one even when none is configured, so the
    demo derives a stable one from SECRET_KEY; Stripe must be given its own."""
    if settings.STRIPE_WEBHOOK_SECRET:
        return settings.STRIPE_WEBHOOK_SECRET
    if settings.PAYMENTS_PROVIDER == Provider.LOCAL:
        digest = hmac.new(settings.SECRET_KEY.encode(), b"payments.local-webhook",
                          hashlib.sha256).hexdigest()
        return f"whsec_local_{digest[:32]}"
    raise ServiceUnavailable("STRIPE_WEBHOOK_SECRET is not configured; webhooks cannot be "
                             "verified.")


def webhook_sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`: t=<unix time>,v1=HMAC-SHA256(secret, "t.body")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_verify(payload: bytes, signature: str) -> dict:
    """The event in a signed webhook, as a plain dict; InvalidSignature (400) otherwise.

    The SDK checks the signature (`WebhookSignature.verify_header`, what `construct_event`
    runs first); the body is then parsed once, here: `construct_event` would parse it again and
    build a `stripe.Event` object tree that nothing here reads."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature or "", webhook_secret(),
                                              stripe.Webhook.DEFAULT_TOLERANCE)
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(f"Invalid Stripe signature: {exc.user_message or exc}") from exc
    except ValueError as exc:  # not UTF-8, or not JSON
        raise InvalidSignature("The webhook body is not valid JSON.") from exc
    if (not isinstance(event, dict) or not event.get("id") or not event.get("type")
            or event.get("object") == "v2.core.event"):  # a thin event: construct_event refuses
        raise InvalidSignature("The webhook body is not a Stripe event.")
    return event


class StripeProvider:
    name = Provider.STRIPE

    def __init__(self):
        if not settings.STRIPE_SECRET_KEY:
            raise ServiceUnavailable("Stripe is not configured (STRIPE_SECRET_KEY is empty).")
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        # A client of our own, not the SDK's globals: its key, base address and timeout apply
        # to these requests only.
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS))

    def create_intent(self, amount: Decimal, currency: str, reference: str,
                      idempotency_key: str) -> tuple[str, str]:
        params = {"amount": to_cents(amount), "currency": currency.lower(),
                  "metadata": {"reference": reference},
                  "automatic_payment_methods": {"enabled": True}}
        with _provider_errors("create the payment"):
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key})
        return intent.id, intent.client_secret

    def refund(self, intent_id: str, amount: Decimal, idempotency_key: str,
               metadata: dict | None = None) -> tuple[str, str]:
        """(refund id, Stripe's refund status). `metadata` travels with the refund into its
        webhooks, so a refund whose answer was lost is still recognised."""
        params = {"payment_intent": intent_id, "amount": to_cents(amount)}
        if metadata:
            params["metadata"] = metadata
        with _provider_errors("refund the payment"):
            refund = self.client.v1.refunds.create(
                params=params,
                options={"idempotency_key": idempotency_key})
        return refund.id, refund.status


class LocalProvider:
    """No network: ids are made here, and `succeeded_event` stands in for Stripe's webhook."""

    name = Provider.LOCAL

    def create_intent(self, amount: Decimal, currency: str, reference: str,
                      idempotency_key: str) -> tuple[str, str]:
        intent_id = f"pi_local_{secrets.token_hex(12)}"
        return intent_id, f"{intent_id}_secret_{secrets.token_urlsafe(18)}"

    def refund(self, intent_id: str, amount: Decimal, idempotency_key: str,
               metadata: dict | None = None) -> tuple[str, str]:
        return f"re_local_{secrets.token_hex(12)}", "succeeded"

    def succeeded_event(self, *, intent_id: str, amount: Decimal, currency: str,
                        reference: str) -> tuple[bytes, str]:
        """A `payment_intent.succeeded` event shaped like Stripe's, and its signature header."""
        now = int(time.time())
        event = {
            "id": f"evt_local_{secrets.token_hex(12)}", "object": "event", "api_version": None,
            "created": now, "livemode": False, "type": "payment_intent.succeeded",
            "data": {"object": {
                "id": intent_id, "object": "payment_intent", "amount": to_cents(amount),
                "amount_received": to_cents(amount), "currency": currency.lower(),
                "metadata": {"reference": reference}, "status": "succeeded",
            }},
        }
        payload = json.dumps(event).encode()
        return payload, webhook_sign(payload, webhook_secret(), now)


class _provider_errors:
    """Turns the SDK's errors into domain errors with a message a caller can act on."""

    def __init__(self, doing: str):
        self.doing = doing

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, stripe.StripeError):
            return False
        message = exc.user_message or str(exc)
        if isinstance(exc, stripe.InvalidRequestError | stripe.CardError):
            raise ValidationFailed(f"Stripe refused to {self.doing}: {message}",
                                   code="payment_refused") from exc
        raise ServiceUnavailable(f"The payment provider is unavailable; could not {self.doing}. "
                                 "Please try again shortly.") from exc


def provider(name: str | None = None) -> StripeProvider | LocalProvider:
    """The configured provider, or the one named (a payment is refunded where it was paid)."""
    name = name or settings.PAYMENTS_PROVIDER
    if name == Provider.STRIPE:
        return StripeProvider()
    if name == Provider.LOCAL and settings.PAYMENTS_LOCAL_ENABLED:
        return LocalProvider()
    raise ServiceUnavailable(f"Payment provider {name!r} is unknown or not enabled "
                             "(PAYMENTS_PROVIDER, PAYMENTS_LOCAL_ENABLED).")
