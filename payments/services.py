"""Payment writes (E4-F7, E8-F1). Every one is idempotent (DESIGN.md, "Idempotency"):

- `payment_start`: one Payment and one PaymentIntent per idempotency key, however often asked.
- `payment_record` + `payment_intent_create`: the same in two steps, for a caller that records
  a new payment inside its own transaction and creates the intent after it committed.
- `webhook_handle`: one WebhookEvent per Stripe event id; the Payment row is locked and its status
  checked, so a replayed or late event (a failure after a success) changes nothing.
- refunds: `payments.refunds`, the one refund service (its webhooks are routed from here).

Outcomes go to the apps above as signals (`payments.signals`), sent on commit; a success is
delivered at least once by a task and a sweep (`payments.outcomes`).

What every order runs (recording its payment, the intent, the success webhook) is plain SQL:
building those ORM statements cost more than the database spent running them
(measured with bench/onsale_profile.py; docs/architecture.md, "The on-sale hot path")."""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_first, lock_one, lock_rows
from core.metrics import webhook_lag_observe
from core.sql import db_datetime, insert_rows, marks
from payments import signals
from payments.models import (
    PAYMENT_STATUS,
    Debt,
    DebtStatus,
    Payment,
    PaymentStatus,
    Provider,
    WebhookEvent,
)
from payments.outcomes import payment_success_enqueue
from payments.pricing import CURRENCY, ZERO, money
from payments.providers import LocalProvider, from_cents, provider, webhook_verify
from payments.refunds import refund_reconcile

logger = logging.getLogger(__name__)

def _send_on_commit(signal, payment: Payment) -> None:
    transaction.on_commit(lambda: signal.send(sender=Payment, payment=payment))


def _transition(payment: Payment, to_status: str, **fields) -> None:
    """Move a locked payment along PAYMENT_STATUS and save the changed fields."""
    PAYMENT_STATUS.move(payment, to_status, **fields)
    payment.save(update_fields=["status", *fields, "updated_at"])


def _payment_check(amount: Decimal, currency: str) -> Decimal:
    amount = money(amount)
    if amount <= ZERO:
        raise ValidationFailed("A payment must be for more than 0.", field="amount")
    if currency != CURRENCY:
        raise ValidationFailed(f"Payments are in {CURRENCY} only.", field="currency")
    return amount


def payment_start(*, reference: str, amount: Decimal, currency: str = CURRENCY,
                  idempotency_key: str) -> Payment:
    """A Payment with a PaymentIntent for `amount`. The same key returns the same Payment; if the
    provider was down last time, asking again creates the intent (Stripe dedups on the key)."""
    amount = _payment_check(amount, currency)
    chosen = provider()
    try:
        with transaction.atomic():
            payment, _ = Payment.objects.get_or_create(
                idempotency_key=idempotency_key,
                defaults={"reference": reference, "amount": amount, "currency": currency,
                          "provider": chosen.name})
    except IntegrityError as exc:  # a constraint other than the key; should not happen
        raise Conflict("The payment could not be recorded.") from exc
    if (payment.reference, payment.amount, payment.currency) != (reference, amount, currency):
        raise Conflict("This idempotency key was already used for a different payment.",
                       code="idempotency_key_reused")
    return payment_intent_create(payment=payment)


def payment_record(*, reference: str, amount: Decimal, currency: str = CURRENCY,
                   idempotency_key: str) -> Payment:
    """A new PENDING payment without its intent yet, written in the caller's transaction: for a
    caller whose key is new by construction (a new order's first attempt), so the row commits
    with what it pays for instead of in a transaction of its own. `payment_intent_create`
    follows once that transaction has committed. A key that exists raises IntegrityError."""
    amount = _payment_check(amount, currency)
    now = timezone.now()
    payment = Payment(reference=reference, amount=amount, currency=currency,
                      provider=provider().name, idempotency_key=idempotency_key,
                      created_at=now, updated_at=now)
    insert_rows([payment])
    return payment


def payment_intent_create(*, payment: Payment) -> Payment:
    """Give a recorded payment its PaymentIntent, unless it has one. Call it with no
    transaction open: the provider is called here."""
    if payment.provider_payment_id:
        return payment
    # No lock and no transaction while the provider works: concurrent calls with one key get
    # the same intent back from Stripe and write the same values.
    intent_id, client_secret = provider(payment.provider).create_intent(
        payment.amount, payment.currency, payment.reference, payment.idempotency_key)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_payment SET provider_payment_id = %s, client_secret = %s,"
            " updated_at = %s WHERE id = %s AND provider_payment_id IS NULL",
            [intent_id, client_secret, db_datetime(now),
             payment.pk])
        written = cursor.rowcount
    if written:  # what the row now holds, without reading it back
        payment.provider_payment_id, payment.client_secret = intent_id, client_secret
        payment.updated_at = now
    else:  # a concurrent call wrote its intent first
        payment.refresh_from_db()
    return payment


def webhook_handle(*, payload: bytes, signature: str) -> bool:
    """Verify a provider webhook and apply it once; False for a redelivery (nothing changes).
    Unknown event types are stored and ignored."""
    data = webhook_verify(payload, signature)
    with transaction.atomic():
        if not _event_record(data):
            return False  # a redelivery: Stripe retries until it gets a 2xx
        handler = HANDLERS.get(data["type"])
        if handler is not None:
            handler(data["data"]["object"])
    webhook_lag_observe(data, provider=settings.PAYMENTS_PROVIDER)  # committed: for /metrics
    return True


def _event_record(data: dict) -> bool:
    """Store the event unless its id is stored already; True if it is new. Stamped processed
    at once: it commits together with its effects or not at all.

    Raw SQL because the ORM cannot say "insert unless it exists, and tell me which":
    get_or_create costs a SELECT and a savepointed INSERT (4 statements), this costs one
    (PostgreSQL and SQLite both know ON CONFLICT ... RETURNING)."""
    now = timezone.now()
    values = {"provider": settings.PAYMENTS_PROVIDER, "event_id": data["id"],
              "type": data["type"], "payload": data, "processed_at": now, "created_at": now}
    meta = WebhookEvent._meta
    fields = [meta.get_field(name) for name in values]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {meta.db_table} ({', '.join(f.column for f in fields)}) "
            f"VALUES ({marks(fields)}) "
            f"ON CONFLICT ({meta.get_field('event_id').column}) DO NOTHING RETURNING id",
            [f.get_db_prep_save(values[f.name], connection) for f in fields])
        return cursor.fetchone() is not None


def _locked_payment(intent_id: str | None) -> Payment | None:
    payment = lock_first(Payment.objects.filter(provider_payment_id=intent_id))
    if payment is None:
        logger.warning("Stripe event for unknown PaymentIntent %s ignored", intent_id)
    return payment


SUCCEEDS_FROM = PAYMENT_STATUS.sources(PaymentStatus.SUCCEEDED)


def _payment_succeed(intent_id: str | None, amount: Decimal, currency: str) -> Payment | None:
    """The intent's payment moved to SUCCEEDED if its status allows it and the intent received
    exactly its amount in its currency (None otherwise): one conditional UPDATE, which also
    locks the row until the transaction ends."""
    return next(iter(Payment.objects.raw(
        "UPDATE payments_payment SET status = %s, failure_message = '', updated_at = %s"
        " WHERE provider_payment_id = %s AND amount = %s AND currency = %s"
        f" AND status IN ({marks(SUCCEEDS_FROM)}) RETURNING *",
        [PaymentStatus.SUCCEEDED, db_datetime(timezone.now()),
         intent_id, amount, currency, *SUCCEEDS_FROM])), None)


def _on_intent_succeeded(intent: dict) -> None:
    received = from_cents(intent.get("amount_received", intent.get("amount")) or 0)
    currency = str(intent.get("currency") or "").upper()
    payment = _payment_succeed(intent.get("id"), received, currency)
    if payment is None:  # already succeeded (or refunded since), not ours, or the wrong sum
        known = Payment.objects.filter(provider_payment_id=intent.get("id")).first()
        if known is None:
            logger.warning("Stripe event for unknown PaymentIntent %s ignored", intent.get("id"))
        elif (known.amount, known.currency) != (received, currency):
            logger.error("PaymentIntent %s succeeded for %s %s, not the payment's %s %s:"
                         " not completed", intent.get("id"), received, currency,
                         known.amount, known.currency)
        return
    payment_success_enqueue(payment)


def _on_intent_failed(intent: dict) -> None:
    payment = _locked_payment(intent.get("id"))
    if payment is None or payment.status != PaymentStatus.PENDING:
        return  # a failure arriving after a success (or a second failure) changes nothing
    error = intent.get("last_payment_error") or {}
    message = error.get("message") or error.get("code") or "The payment failed."
    _transition(payment, PaymentStatus.FAILED, failure_message=message)
    _send_on_commit(signals.payment_failed, payment)


def _on_charge_refunded(charge: dict) -> None:
    """The refunds of a charge (when the event lists them): see `refunds.refund_reconcile`."""
    payment = _locked_payment(charge.get("payment_intent"))
    for item in (charge.get("refunds") or {}).get("data") or []:
        refund_reconcile(item, payment)


def _on_refund_event(item: dict) -> None:
    """`refund.created`, `refund.updated`, `refund.failed`: one refund's news."""
    payment = Payment.objects.filter(provider_payment_id=item.get("payment_intent")).first()
    refund_reconcile(item, payment)


HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "charge.refunded": _on_charge_refunded,
    "refund.created": _on_refund_event,
    "refund.updated": _on_refund_event,
    "refund.failed": _on_refund_event,
}


def payment_retry(*, payment: Payment) -> Payment:
    """FAILED -> PENDING: the fan tries again on the same PaymentIntent."""
    with transaction.atomic():
        payment = lock_one(Payment.objects.filter(pk=payment.pk))
        _transition(payment, PaymentStatus.PENDING, failure_message="")
    return payment


def payment_local_complete(*, payment: Payment) -> Payment:
    """Complete a local-provider payment the way Stripe would: a signed
    `payment_intent.succeeded` event through `webhook_handle`."""
    if not settings.PAYMENTS_LOCAL_ENABLED:  # no free orders where the demo is not enabled
        raise NotFound("Not found.")
    if payment.provider != Provider.LOCAL:
        raise Conflict("Only payments with the local provider can be completed here.")
    if not payment.provider_payment_id:
        raise NotFound("This payment has no payment intent yet.")
    body, signature = LocalProvider().succeeded_event(
        intent_id=payment.provider_payment_id, amount=payment.amount, currency=payment.currency,
        reference=payment.reference)
    webhook_handle(payload=body, signature=signature)
    payment.refresh_from_db()
    return payment


def debt_record(*, debtor, reference: str, amount: Decimal, description: str,
                currency: str = CURRENCY) -> Debt:
    """Record money owed for tickets issued with deferred payment; the same reference twice
    records once."""
    debt, created = Debt.objects.get_or_create(
        reference=reference, defaults={"debtor": debtor, "amount": money(amount),
                                       "currency": currency, "description": description[:200]})
    if created:
        audit_record(actor=None, action="debt.recorded", obj=debt,
                     after={"reference": reference, "amount": str(debt.amount),
                            "debtor_id": debtor.pk})
    return debt


def debts_settle(*, debt_ids: list[int], actor, reference: str) -> int:
    """Mark OPEN debts paid (a payment offer was paid, `reference` says which); returns how
    many were settled. Debts credited in full meanwhile stay CREDITED."""
    now, settled = timezone.now(), 0
    for debt in lock_rows(Debt.objects.filter(pk__in=debt_ids)):
        if debt.status != DebtStatus.OPEN:
            continue
        debt.status, debt.settled_at = DebtStatus.SETTLED, now
        debt.save(update_fields=["status", "settled_at"])
        audit_record(actor=actor, action="debt.settled", obj=debt,
                     before={"status": DebtStatus.OPEN},
                     after={"status": DebtStatus.SETTLED, "by": reference,
                            "owed": str(debt.owed_amount)})
        settled += 1
    return settled
