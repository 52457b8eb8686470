"""Deferred payment offers (E8-F4): a debtor's deferred orders (quota claims and petrol sales
on account) grouped into one offer, sent through e-računi as a quote, then PAID (its debts
settled and an invoice issued) or OVERDUE after its due date, or CANCELLED (its orders free to
be grouped again).

Grouping locks the orders (core.locks, id order) and checks none is in an open offer; the
partial unique index `order_in_one_open_offer` backs it, so two admins grouping the same
order at once get one offer and one 409."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_first, lock_one, lock_rows
from payments.models import DebtStatus, Refund, RefundStatus
from payments.pricing import ZERO
from payments.services import debts_settle
from ticketing.invoicing.models import (
    DOCUMENT_STATUS,
    OFFER_STATUS,
    OPEN_OFFER_STATUSES,
    Debtor,
    DocumentStatus,
    DocumentType,
    OfferStatus,
    PaymentOffer,
    PaymentOfferOrder,
)
from ticketing.invoicing.services.documents import (
    PAID_BY_TRANSFER,
    document_queue,
    order_items,
    refund_items,
)
from ticketing.models import Order, OrderStatus


def debtor_fields(debtor: Debtor) -> dict:
    return {"buyerName": debtor.name, "buyerStreet": debtor.address, "buyerEMail": debtor.email}


def debtor_open_orders(debtor: Debtor):
    """The debtor's completed deferred orders that still owe money and are in no open offer."""
    return (Order.objects.filter(debt__debtor_id=debtor.account_id,
                                 debt__status=DebtStatus.OPEN, status=OrderStatus.COMPLETED)
            .exclude(offer_lines__open=True).select_related("debt", "match").order_by("pk"))


def _owed(order: Order) -> Decimal:
    return order.debt.owed_amount if order.debt_id else ZERO


def _offer_items(orders: list[Order]) -> list[dict]:
    """Each order's tickets and fee, less what its refunds gave back, at their VAT rates."""
    refunds = defaultdict(list)
    for refund in Refund.objects.filter(reference__in=[o.payment_reference for o in orders],
                                        status=RefundStatus.COMPLETED, debt__isnull=False):
        refunds[refund.reference].append(refund)
    items = []
    for order in orders:
        lines = order_items(order)
        for refund in refunds[order.payment_reference]:
            lines += refund_items(refund, order)
        for line in lines:
            line["description"] = f"{order.number}: {line['description']}"[:200]
        items += lines
    return items


def _check(order: Order, debtor: Debtor, open_lines: dict[int, int]) -> None:
    label = order.number or order.pk
    if order.debt_id is None or order.debt.debtor_id != debtor.account_id:
        raise ValidationFailed(f"Order {label} is not a deferred order of {debtor.name}.",
                               field="order_ids")
    if order.pk in open_lines:
        raise Conflict(f"Order {label} is already in open payment offer {open_lines[order.pk]}.",
                       code="order_in_open_offer")
    if order.debt.status != DebtStatus.OPEN or _owed(order) <= ZERO:
        raise Conflict(f"Order {label} owes nothing (its debt is {order.debt.status}).",
                       code="nothing_owed")


def offer_create(*, debtor_id: int, order_ids: list[int] | None, actor, note: str = "",
                 today: date | None = None) -> PaymentOffer:
    """Group the debtor's deferred orders (`order_ids`, or all of them still open) into an
    offer and queue its e-računi quote."""
    debtor = Debtor.objects.filter(pk=debtor_id).first()
    if debtor is None:
        raise NotFound("No such debtor.", field="debtor_id")
    with transaction.atomic():
        if not order_ids:
            order_ids = list(debtor_open_orders(debtor).values_list("pk", flat=True))
            if not order_ids:
                raise Conflict(f"{debtor.name} has no deferred orders to offer.",
                               code="nothing_owed")
        locked = lock_rows(Order.objects.filter(pk__in=order_ids))
        missing = set(order_ids) - {order.pk for order in locked}
        if missing:
            raise NotFound(f"No order {min(missing)}.", field="order_ids")
        orders = list(Order.objects.filter(pk__in=order_ids).select_related("debt", "match")
                      .order_by("pk"))
        open_lines = dict(PaymentOfferOrder.objects.filter(order_id__in=order_ids, open=True)
                          .values_list("order_id", "offer_id"))
        for order in orders:
            _check(order, debtor, open_lines)
        today = today or timezone.localdate()
        offer = PaymentOffer.objects.create(
            debtor=debtor, total_amount=sum((_owed(o) for o in orders), ZERO), note=note,
            due_date=today + timedelta(days=debtor.payment_terms_days), created_by=actor)
        try:
            with transaction.atomic():
                PaymentOfferOrder.objects.bulk_create(
                    PaymentOfferOrder(offer=offer, order=order, amount=_owed(order))
                    for order in orders)
        except IntegrityError as exc:  # grouped by someone else between our check and insert
            raise Conflict("One of these orders was just put in another payment offer.",
                           code="order_in_open_offer") from exc
        document_queue(document_type=DocumentType.PAYMENT_OFFER,
                       local_reference=f"offer:{offer.pk}", amount=offer.total_amount,
                       payment_offer=offer, buyer_tax_number=debtor.oib, payload={
                           "date": today.isoformat(), "dueDate": offer.due_date.isoformat(),
                           "currency": offer.currency, "methodOfPayment": PAID_BY_TRANSFER,
                           **debtor_fields(debtor), "Items": _offer_items(orders)})
        audit_record(actor=actor, action="payment_offer.created", obj=offer,
                     after={"debtor": debtor.oib[-4:], "orders": [o.pk for o in orders],
                            "total": str(offer.total_amount), "due": str(offer.due_date)})
    return offer


def _move(offer: PaymentOffer, to_status: str, *, actor, reason: str = "", **fields) -> None:
    before = OFFER_STATUS.move(offer, to_status, **fields)
    offer.save(update_fields=["status", *fields, "updated_at"])
    if to_status not in OPEN_OFFER_STATUSES:
        offer.lines.update(open=False)
    audit_record(actor=actor, action=f"payment_offer.{to_status.lower()}", obj=offer,
                 before={"status": before}, after={"status": to_status, "reason": reason})


def _locked_offer(offer_id: int) -> PaymentOffer:
    offer = lock_first(PaymentOffer.objects.filter(pk=offer_id))
    if offer is None:
        raise NotFound("No such payment offer.")
    return offer


def offer_mark_paid(*, offer_id: int, actor) -> PaymentOffer:
    """The debtor paid: the offer's debts are settled and its invoice is issued."""
    with transaction.atomic():
        offer = _locked_offer(offer_id)
        _move(offer, OfferStatus.PAID, actor=actor, paid_at=timezone.now())
        orders = list(Order.objects.filter(offer_lines__offer=offer)
                      .select_related("debt", "match").order_by("pk"))
        _quote_withdrawn(offer)
        # what is owed now: a refund since the grouping took its tickets off
        owed = sum((_owed(order) for order in orders), ZERO)
        debts_settle(debt_ids=[o.debt_id for o in orders], actor=actor,
                     reference=f"offer:{offer.pk}")
        document_queue(document_type=DocumentType.INVOICE, local_reference=f"offer:{offer.pk}",
                       amount=owed, payment_offer=offer, buyer_tax_number=offer.debtor.oib,
                       payload={
                           "dateOfSupplyFrom": timezone.localdate().isoformat(),
                           "currency": offer.currency, "methodOfPayment": PAID_BY_TRANSFER,
                           **debtor_fields(offer.debtor), "Items": _offer_items(orders)})
    return offer


def offer_cancel(*, offer_id: int, actor, reason: str) -> PaymentOffer:
    """Withdraw an open offer; its orders may be grouped again."""
    with transaction.atomic():
        offer = _locked_offer(offer_id)
        _move(offer, OfferStatus.CANCELLED, actor=actor, reason=reason,
              cancelled_at=timezone.now())
        _quote_withdrawn(offer)
    return offer


def _quote_withdrawn(offer: PaymentOffer) -> None:
    """A quote still waiting to go out (e-računi down or not configured) never goes."""
    for document in offer.documents.filter(document_type=DocumentType.PAYMENT_OFFER,
                                           status=DocumentStatus.DRAFT):
        DOCUMENT_STATUS.move(document, DocumentStatus.CANCELLED, cancelled_at=timezone.now())
        document.save(update_fields=["status", "cancelled_at", "updated_at"])


def offers_mark_overdue(*, today: date | None = None) -> int:
    """SENT offers past their due date become OVERDUE; returns how many."""
    today = today or timezone.localdate()
    ids = list(PaymentOffer.objects.filter(status=OfferStatus.SENT, due_date__lt=today)
               .values_list("pk", flat=True))
    moved = 0
    for pk in ids:
        with transaction.atomic():
            offer = lock_one(PaymentOffer.objects.filter(pk=pk))
            if offer.status == OfferStatus.SENT:
                _move(offer, OfferStatus.OVERDUE, actor=None, reason=f"due {offer.due_date}")
                moved += 1
    return moved
