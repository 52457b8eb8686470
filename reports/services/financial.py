"""Financial reconciliation (E14-F3): the money of the sales completed in a period (and of one
match, if asked), by how it was paid, and where it went.

- Sales by method: CARD (Stripe; the embedded demo's local provider counts here too),
  PETROL_CASH and PETROL_CARD (taken at a station; the partner owes it), DEFERRED (quota claims
  on account) and FREE: orders, tickets, the amounts with their fee and VAT parts as the pricing
  module computed them, and the refunds of those sales.
- Where it went, from other tables: what the card payments kept (captured less refunded), what
  the petrol sales recorded less the debt credited back, and what debtors owe or paid (debts).
- Payment offers by status, and the e-računi documents by type and status.

The sums reconcile: sales - refunds == card kept + petrol kept + deferred (owed or paid). A
difference means two tables disagree, and the report says by how much."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from payments.models import Debt, DebtStatus, Payment, PaymentStatus, Refund, RefundStatus
from payments.pricing import ZERO
from quotas.petrol.models import PetrolSale
from ticketing.invoicing.models import EracuniDocument, PaymentOffer
from ticketing.models import Order, OrderItem, OrderStatus

METHODS = ("CARD", "PETROL_CASH", "PETROL_CARD", "DEFERRED", "FREE")
AMOUNTS = ("sales", "ticket_amount", "ticket_vat", "fee_amount", "fee_vat", "refunds", "net")


@dataclass
class MethodRow:
    method: str
    orders: int = 0
    tickets: int = 0
    sales: Decimal = ZERO
    ticket_amount: Decimal = ZERO
    ticket_vat: Decimal = ZERO
    fee_amount: Decimal = ZERO
    fee_vat: Decimal = ZERO
    refunds: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.sales - self.refunds


@dataclass
class FinancialReport:
    date_from: date
    date_to: date
    match_id: int | None
    methods: list[MethodRow]
    total: MethodRow
    kept: dict[str, Decimal]  # where the money is: card, petrol, deferred_owed, deferred_paid
    offers: dict[str, dict] = field(default_factory=dict)  # status -> {count, amount}
    documents: dict[str, dict[str, int]] = field(default_factory=dict)  # type -> status -> n

    @property
    def kept_total(self) -> Decimal:
        return sum(self.kept.values(), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.total.net - self.kept_total

    @property
    def reconciles(self) -> bool:
        return self.difference == ZERO


def _period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (datetime.combine(date_from, time.min, zone),
            datetime.combine(date_to + timedelta(days=1), time.min, zone))


def sold_in_period(date_from: date, date_to: date, prefix: str = "") -> Q:
    """Orders sold in the period, by local date: paid then, or (free and deferred orders, which
    have no payment) completed then. `prefix` reaches the order from another model."""
    start, end = _period(date_from, date_to)
    return Q(**{f"{prefix}paid_at__gte": start, f"{prefix}paid_at__lt": end}) | Q(
        **{f"{prefix}paid_at__isnull": True, f"{prefix}ended_at__gte": start,
           f"{prefix}ended_at__lt": end})


def _orders(date_from: date, date_to: date, match_id: int | None):
    orders = Order.objects.filter(sold_in_period(date_from, date_to),
                                  status__in=(OrderStatus.COMPLETED, OrderStatus.REFUNDED))
    return orders.filter(match_id=match_id) if match_id else orders


def _method(order: Order, petrol: dict[int, str]) -> str:
    if order.pk in petrol:
        return f"PETROL_{petrol[order.pk]}"
    if order.debt_id:
        return "DEFERRED"
    if order.payment_id and order.total_amount > ZERO:
        return "CARD"
    return "FREE"


def financial_report(*, date_from: date, date_to: date,
                     match_id: int | None = None) -> FinancialReport:
    orders = list(_orders(date_from, date_to, match_id)
                  .only("pk", "debt_id", "payment_id", "total_amount", "ticket_amount",
                        "ticket_vat_amount", "fee_amount", "fee_vat_amount"))
    ids = [o.pk for o in orders]
    petrol = dict(PetrolSale.objects.filter(order_id__in=ids)
                  .values_list("order_id", "payment_method"))
    tickets = dict(OrderItem.objects.filter(order_id__in=ids).values("order_id")
                   .annotate(n=Count("id")).values_list("order_id", "n"))
    refunds = _refunds(ids)
    rows = {method: MethodRow(method) for method in METHODS}
    for order in orders:
        row = rows[_method(order, petrol)]
        row.orders += 1
        row.tickets += tickets.get(order.pk, 0)
        row.sales += order.total_amount
        row.ticket_amount += order.ticket_amount
        row.ticket_vat += order.ticket_vat_amount
        row.fee_amount += order.fee_amount
        row.fee_vat += order.fee_vat_amount
        row.refunds += refunds.get(order.pk, ZERO)
    total = MethodRow("TOTAL")
    for row in rows.values():
        for name in ("orders", "tickets", *AMOUNTS[:-1]):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return FinancialReport(
        date_from=date_from, date_to=date_to, match_id=match_id, methods=list(rows.values()),
        total=total, kept=_kept(orders, petrol), offers=_offers(ids),
        documents=_documents(ids))


def _refunds(order_ids: list[int]) -> dict[int, Decimal]:
    """What was given back for each order (completed refunds, to a card or off a debt)."""
    wanted = {f"order:{pk}": pk for pk in order_ids}
    given: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for reference, amount in (Refund.objects.filter(reference__in=wanted,
                                                    status=RefundStatus.COMPLETED)
                              .values_list("reference", "amount")):
        given[wanted[reference]] += amount
    return given


def _kept(orders: list[Order], petrol: dict[int, str]) -> dict[str, Decimal]:
    """Where the money of these sales is, read from the payments, petrol sales and debts."""
    card_ids = [o.payment_id for o in orders if o.payment_id and o.pk not in petrol]
    taken = Payment.objects.filter(pk__in=card_ids, status__in=(
        PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED))
    sums = taken.aggregate(amount=Sum("amount"), refunded=Sum("refunded_amount"))
    card = (sums["amount"] or ZERO) - (sums["refunded"] or ZERO)
    petrol_sales = PetrolSale.objects.filter(order_id__in=list(petrol))
    debts = {o.debt_id: o.pk for o in orders if o.debt_id}
    credited_petrol = ZERO
    deferred = {DebtStatus.OPEN: ZERO, DebtStatus.SETTLED: ZERO, DebtStatus.WRITTEN_OFF: ZERO}
    for debt in Debt.objects.filter(pk__in=list(debts)):
        if debts[debt.pk] in petrol:
            credited_petrol += debt.credited_amount
        elif debt.status in deferred:
            deferred[debt.status] += debt.owed_amount
    petrol_kept = (petrol_sales.aggregate(s=Sum("total_amount"))["s"] or ZERO) - credited_petrol
    return {"card": card, "petrol": petrol_kept, "deferred_owed": deferred[DebtStatus.OPEN],
            "deferred_paid": deferred[DebtStatus.SETTLED],
            "deferred_written_off": deferred[DebtStatus.WRITTEN_OFF]}


def _offers(order_ids: list[int]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for offer in PaymentOffer.objects.filter(lines__order_id__in=order_ids).distinct():
        row = found.setdefault(offer.status, {"count": 0, "amount": ZERO})
        row["count"] += 1
        row["amount"] += offer.total_amount
    return found


def _documents(order_ids: list[int]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = defaultdict(dict)
    documents = EracuniDocument.objects.filter(
        Q(order_id__in=order_ids) | Q(payment_offer__lines__order_id__in=order_ids)).distinct()
    for document in documents.only("document_type", "status"):
        by_status = found[document.document_type]
        by_status[document.status] = by_status.get(document.status, 0) + 1
    return dict(found)
