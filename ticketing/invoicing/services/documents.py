"""e-računi documents (E8-F5): what is queued for which sale, and how it gets to e-računi.

- `invoice_queue(order_id)`: a completed order paid by card gets an INVOICE. Deferred orders
  (quota claims and petrol sales on account) are invoiced through their payment offer once it
  is paid; free orders have nothing to invoice.
- `credit_note_queue(refund_id)`: a completed refund of an invoiced order gets a CREDIT_NOTE
  correcting that invoice.
- `document_send(document_id)`: runs in a task after commit. The document row stays locked
  through the call, so two tasks never send one document; a retry first asks e-računi whether it
  already has the document (`find`), so a lost answer never makes a second one. Without
  credentials the document stays DRAFT, and `documents_resend` sends it once they are set.
- `documents_poll()`: SENT documents move to FISCALIZED (the JIR arrived) or CANCELLED.

Amounts come from the order as the pricing module computed them: one e-računi item per VAT
rate (tickets, service fee), net of VAT, so e-računi's totals are the order's to the cent."""

import logging
from datetime import timedelta
from decimal import Decimal

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.locks import lock_one
from core.transactions import enqueue_on_commit
from payments.models import Refund, RefundStatus
from payments.pricing import VAT_RATES, ZERO, vat_included
from ticketing.invoicing.eracuni import (
    EracuniClient,
    EracuniRefused,
    EracuniUnavailable,
    eracuni_configured,
)
from ticketing.invoicing.models import (
    DOCUMENT_STATUS,
    OFFER_STATUS,
    DocumentStatus,
    DocumentType,
    EracuniDocument,
    OfferStatus,
    PaymentOffer,
)
from ticketing.models import Order, OrderStatus, Ticket

logger = logging.getLogger(__name__)

REFUSED = "refused: "  # a last_error e-računi gave: resending will not help until fixed
KIND = {DocumentType.PAYMENT_OFFER: "quote", DocumentType.INVOICE: "invoice",
        DocumentType.CREDIT_NOTE: "invoice"}
# e-računi's payment method words for how the money came in.
PAID_BY_CARD, PAID_BY_TRANSFER = "CreditCard", "BankTransfer"


def _item(description: str, gross: Decimal, vat: Decimal, rate: Decimal) -> dict:
    return {"description": description[:200], "quantity": 1, "unit": "kom",
            "netPrice": str(gross - vat), "vatPercentage": str(rate * 100)}


def order_items(order: Order, *, sign: int = 1) -> list[dict]:
    """The order's tickets and fee as e-računi items, one per VAT rate."""
    rates = VAT_RATES[order.match.match_type]
    count = order.items.count()
    items = [_item(f"Ulaznice ({count}): {order.match}", sign * order.ticket_amount,
                   sign * order.ticket_vat_amount, rates["tickets"])]
    if order.fee_amount:
        items.append(_item("Naknada za uslugu", sign * order.fee_amount,
                           sign * order.fee_vat_amount, rates["fee"]))
    return items


def buyer_fields(user) -> dict:
    profile = getattr(user, "profile", None)
    name = (profile.full_name if profile else "") or user.email
    fields = {"buyerName": name, "buyerEMail": user.email}
    if profile is not None:
        fields |= {"buyerStreet": profile.address, "buyerPostalCode": profile.postal_code,
                   "buyerCity": profile.city}
    return {key: value for key, value in fields.items() if value}


def buyer_oib(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.oib if profile is not None else ""


def document_queue(*, document_type: str, local_reference: str, payload: dict,
                   amount: Decimal, buyer_tax_number: str = "", **links) -> EracuniDocument:
    """Write the document (once per type and reference) and send it after commit. The buyer's
    OIB is kept encrypted beside the payload and added only to the request."""
    document, created = EracuniDocument.objects.get_or_create(
        document_type=document_type, local_reference=local_reference,
        defaults={"payload": payload | {"orderReference": local_reference}, "amount": amount,
                  "buyer_tax_number": buyer_tax_number, **links})
    if created:
        audit_record(actor=None, action="eracuni.queued", obj=document,
                     after={"type": document_type, "reference": local_reference,
                            "amount": str(amount)})
        enqueue_on_commit(document_send_task, document.pk, robust=True)  # the sweep resends
    return document


def invoice_queue(*, order_id: int) -> EracuniDocument | None:
    order = Order.objects.select_related("match", "buyer__profile").get(pk=order_id)
    if order.status != OrderStatus.COMPLETED or order.debt_id or order.total_amount <= ZERO:
        return None
    payload = {"dateOfSupplyFrom": timezone.localdate(order.paid_at or order.ended_at)
               .isoformat(), "methodOfPayment": PAID_BY_CARD, "currency": order.currency,
               **buyer_fields(order.buyer), "Items": order_items(order)}
    return document_queue(document_type=DocumentType.INVOICE,
                          local_reference=f"order:{order.pk}", payload=payload,
                          amount=order.total_amount, order=order,
                          buyer_tax_number=buyer_oib(order.buyer))


def _invoice_of(order: Order) -> EracuniDocument | None:
    """The invoice an order's money is on: its own, or its paid payment offer's."""
    return (EracuniDocument.objects.filter(document_type=DocumentType.INVOICE, order=order).first()
            or EracuniDocument.objects.filter(
                document_type=DocumentType.INVOICE,
                payment_offer__lines__order=order, payment_offer__status=OfferStatus.PAID).first())


def refund_items(refund: Refund, order: Order) -> list[dict]:
    """What a refund gave back, as negative items per VAT rate: the refunded tickets' prices,
    and the rest of the amount as the fee's share."""
    rates = VAT_RATES[order.match.match_type]
    tickets = sum(Ticket.objects.filter(refund=refund).values_list(
        "order_item__unit_price", flat=True), ZERO)
    tickets = min(tickets, refund.amount)
    fee = refund.amount - tickets
    items = [_item(f"Povrat ulaznica: {order.match}", -tickets,
                   -vat_included(tickets, rates["tickets"]), rates["tickets"])]
    if fee:
        items.append(_item("Povrat naknade za uslugu", -fee, -vat_included(fee, rates["fee"]),
                           rates["fee"]))
    return items


def credit_note_queue(*, refund_id: int) -> EracuniDocument | None:
    refund = Refund.objects.get(pk=refund_id)
    if refund.status != RefundStatus.COMPLETED or refund.amount <= ZERO:
        return None
    order = (Order.objects.select_related("match", "buyer__profile")
             .filter(tickets__refund=refund).first())
    invoice = _invoice_of(order) if order else None
    if invoice is None:  # nothing was invoiced (deferred and not yet paid, or free)
        return None
    payload = {"dateOfSupplyFrom": timezone.localdate(refund.completed_at or timezone.now())
               .isoformat(), "methodOfPayment": invoice.payload.get("methodOfPayment"),
               "currency": refund.currency, **buyer_fields(order.buyer),
               "Items": refund_items(refund, order)}
    return document_queue(document_type=DocumentType.CREDIT_NOTE,
                          local_reference=f"refund:{refund.pk}", payload=payload,
                          amount=-refund.amount, refund=refund, order=order, corrects=invoice,
                          buyer_tax_number=invoice.buyer_tax_number)


def _attempt(document_id: int) -> bool:
    """Count the attempt (committed even if the call fails); False if nothing is to be sent."""
    with transaction.atomic():
        document = lock_one(EracuniDocument.objects.filter(pk=document_id))
        if document.status != DocumentStatus.DRAFT:
            return False
        document.attempts += 1
        document.save(update_fields=["attempts", "updated_at"])
        return True


def _fail(document_id: int, message: str) -> None:
    EracuniDocument.objects.filter(pk=document_id).update(last_error=message[:2000],
                                                          updated_at=timezone.now())


def document_send(*, document_id: int) -> EracuniDocument | None:
    """Send a DRAFT document to e-računi. `EracuniUnavailable` propagates for the task to retry;
    a refusal is kept on the document (`last_error`) for the admin."""
    if not eracuni_configured() or not _attempt(document_id):
        return None
    try:
        with transaction.atomic():
            document = lock_one(EracuniDocument.objects.filter(pk=document_id))
            if document.status != DocumentStatus.DRAFT:
                return document
            _send(document, EracuniClient.from_settings())
            return document
    except EracuniRefused as exc:
        _fail(document_id, f"{REFUSED}{exc}")
        logger.warning("e-računi refused document %s: %s", document_id, exc)
        return None
    except EracuniUnavailable as exc:
        _fail(document_id, str(exc))
        raise


def _request(document: EracuniDocument) -> dict | None:
    """What goes to e-računi, or None when the document must not go (its offer was paid or
    withdrawn while the quote waited). A credit note waits until its invoice has a number."""
    payload = dict(document.payload)
    if document.buyer_tax_number:
        payload["buyerTaxNumber"] = document.buyer_tax_number
    if document.document_type == DocumentType.PAYMENT_OFFER:
        offer = PaymentOffer.objects.get(pk=document.payment_offer_id)
        return payload if offer.status == OfferStatus.DRAFT else None
    if document.document_type == DocumentType.CREDIT_NOTE:
        corrected = EracuniDocument.objects.get(pk=document.corrects_id)
        if not corrected.e_racuni_number:
            raise EracuniUnavailable(f"waiting for invoice {corrected.local_reference} to be "
                                     "issued first")
        payload["referenceDocumentNumber"] = corrected.e_racuni_number
    return payload


def _send(document: EracuniDocument, client: EracuniClient) -> None:
    kind = KIND[document.document_type]
    payload = _request(document)
    if payload is None:
        DOCUMENT_STATUS.move(document, DocumentStatus.CANCELLED, cancelled_at=timezone.now())
        document.save()
        return
    created = client.find(kind, document.local_reference) if document.attempts > 1 else None
    created = created or client.create(kind, payload)
    if document.document_type == DocumentType.PAYMENT_OFFER:
        client.send_quote_by_email(created.document_id, document.payload["buyerEMail"])
    else:
        document.public_url = client.public_url(created.document_id)
    now = timezone.now()
    DOCUMENT_STATUS.move(document, DocumentStatus.SENT, e_racuni_id=created.document_id,
                         e_racuni_number=created.number, sent_at=now, last_error="")
    document.save()
    audit_record(actor=None, action="eracuni.sent", obj=document,
                 after={"e_racuni_id": created.document_id, "number": created.number})
    if document.document_type == DocumentType.PAYMENT_OFFER:
        _offer_sent(document.payment_offer_id, now)


def _offer_sent(offer_id: int, now) -> None:
    """The offer's quote reached e-računi and the debtor's inbox: DRAFT -> SENT (an offer paid
    or cancelled meanwhile stays as it is)."""
    offer = lock_one(PaymentOffer.objects.filter(pk=offer_id))
    if offer.status == OfferStatus.DRAFT:
        OFFER_STATUS.move(offer, OfferStatus.SENT, sent_at=now)
        offer.save(update_fields=["status", "sent_at", "updated_at"])
        audit_record(actor=None, action="payment_offer.sent", obj=offer,
                     before={"status": OfferStatus.DRAFT}, after={"status": OfferStatus.SENT})


@shared_task(autoretry_for=(EracuniUnavailable,), retry_backoff=30, retry_backoff_max=3600,
             retry_jitter=True, max_retries=12, acks_late=True)
def document_send_task(document_id: int) -> None:
    """Sent after commit; while e-računi is down it retries with backoff, then
    `documents_resend` picks the document up again."""
    document_send(document_id=document_id)


def documents_poll(*, limit: int = 200) -> int:
    """Ask e-računi how each SENT invoice and credit note stands; returns how many changed."""
    if not eracuni_configured():
        return 0
    client, changed = EracuniClient.from_settings(), 0
    ids = list(EracuniDocument.objects.filter(status=DocumentStatus.SENT)
               .exclude(document_type=DocumentType.PAYMENT_OFFER)
               .order_by("sent_at").values_list("pk", flat=True)[:limit])
    for pk in ids:
        try:
            changed += _poll_one(pk, client)
        except (EracuniUnavailable, EracuniRefused) as exc:
            _fail(pk, str(exc))
            logger.warning("Polling e-računi for document %s failed: %s", pk, exc)
    return changed


def _poll_one(document_id: int, client: EracuniClient) -> bool:
    with transaction.atomic():
        document = lock_one(EracuniDocument.objects.filter(pk=document_id))
        if document.status != DocumentStatus.SENT:
            return False
        state = client.status(KIND[document.document_type], document.e_racuni_id)
        now = timezone.now()
        if state.cancelled:
            DOCUMENT_STATUS.move(document, DocumentStatus.CANCELLED, cancelled_at=now)
        elif state.fiscalization_id:
            DOCUMENT_STATUS.move(document, DocumentStatus.FISCALIZED, fiscalized_at=now,
                                 fiscalization_id=state.fiscalization_id)
        else:
            return False
        document.save()
        audit_record(actor=None, action=f"eracuni.{document.status.lower()}", obj=document,
                     after={"status": state.status, "jir": state.fiscalization_id})
        return True


def documents_resend(*, older_than_seconds: int = 300, limit: int = 200) -> int:
    """DRAFT documents whose task never ran or gave up (e-računi down, or no credentials
    then) are queued again; refused ones wait for the admin's *Send again*."""
    if not eracuni_configured():
        return 0
    stale = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(EracuniDocument.objects.filter(status=DocumentStatus.DRAFT, updated_at__lt=stale,
                                              attempts__lt=20)
               .exclude(last_error__startswith=REFUSED).values_list("pk", flat=True)[:limit])
    for pk in ids:
        document_send_task.delay(pk)
    return len(ids)
