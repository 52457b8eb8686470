"""Sales tracking (US9): per match and per package, what was sold and for how much, who bought
and for whom, their answers, and the promo code of each purchase. A purchase counts once its
order is paid (COMPLETED, or REFUNDED later: it stays in the list with its status, out of the
totals)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from ticketing.models import OrderItem, OrderStatus
from ticketing.packages.models import OptionResponse, Package, PackagePurchase
from ticketing.promotions.models import PromoCodeApplication

ZERO = Decimal("0.00")
PAID = (OrderStatus.COMPLETED, OrderStatus.REFUNDED)
AMOUNTS = ("gross_amount", "discount_amount", "net_amount", "fee_amount")


@dataclass
class SalesFilter:
    match_id: int | None  # None: every match (the admin's unfiltered list)
    package_id: int | None = None
    sponsorship_only: bool = False
    date_from: datetime | None = None
    date_to: datetime | None = None


def purchases(f: SalesFilter) -> QuerySet:
    """The paid purchases the filter selects, newest first, with `promo_code`, `buyer_email`,
    `order_number`, `order_status`."""
    rows = PackagePurchase.objects.filter(order__status__in=PAID)
    if f.match_id is not None:
        rows = rows.filter(package__match_id=f.match_id)
    if f.package_id:
        rows = rows.filter(package_id=f.package_id)
    if f.sponsorship_only:
        rows = rows.filter(package__is_sponsorship=True)
    if f.date_from:
        rows = rows.filter(created_at__gte=f.date_from)
    if f.date_to:
        rows = rows.filter(created_at__lt=f.date_to)
    promo = PromoCodeApplication.objects.filter(order_id=OuterRef("order_id"))
    return (rows.select_related("package", "order", "order__buyer")
            .annotate(promo_code=Subquery(promo.values("promo_code__code")[:1]))
            .order_by("-created_at", "-id"))


def _sums(rows: QuerySet) -> dict:
    live = Q(order__status=OrderStatus.COMPLETED)
    return rows.aggregate(
        sold=Coalesce(Sum("quantity", filter=live), 0),
        purchases=Count("id", filter=live),
        **{name: Coalesce(Sum(name, filter=live), ZERO) for name in AMOUNTS})


@dataclass
class Summary:
    totals: dict
    packages: list[dict] = field(default_factory=list)


def sales_summary(f: SalesFilter) -> Summary:
    """Totals over the selection, and per package of the match (every one the filter allows,
    sold or not), with its stock."""
    rows = purchases(f).order_by()
    by_package = {row["package_id"]: row for row in rows.values("package_id").annotate(
        sold=Coalesce(Sum("quantity", filter=Q(order__status=OrderStatus.COMPLETED)), 0),
        **{name: Coalesce(Sum(name, filter=Q(order__status=OrderStatus.COMPLETED)), ZERO)
           for name in AMOUNTS})}
    packages = Package.objects.all()
    if f.match_id is not None:
        packages = packages.filter(match_id=f.match_id)
    if f.package_id:
        packages = packages.filter(pk=f.package_id)
    if f.sponsorship_only:
        packages = packages.filter(is_sponsorship=True)
    per_package = []
    for package in packages:
        sums = by_package.get(package.pk, {})
        per_package.append({
            "id": package.pk, "name": package.name, "is_sponsorship": package.is_sponsorship,
            "quantity_limit": package.quantity_limit, "sold_count": package.sold_count,
            "held_count": package.held_count, "available": package.available,
            "sold_out": package.sold_out, "sold": sums.get("sold", 0),
            **{name: sums.get(name, ZERO) for name in AMOUNTS}})
    return Summary(totals=_sums(rows), packages=per_package)


def holders_of(purchase_rows: list[PackagePurchase]) -> dict[int, list[dict]]:
    """For each purchase id, its tickets' holders with seat and answers (two reads)."""
    line_ids = {p.cart_line_id: p.pk for p in purchase_rows if p.cart_line_id}
    items = list(OrderItem.objects.filter(cart_item__package_line_id__in=line_ids)
                 .select_related("inventory", "match_sector", "cart_item")
                 .order_by("id"))
    answers: dict[int, list] = {}
    for response in (OptionResponse.objects.filter(order_item__in=items)
                     .select_related("option")):
        answers.setdefault(response.order_item_id, []).append(
            {"option_id": response.option_id, "label": response.option.label,
             "value": response.value, "display": response.display})
    result: dict[int, list[dict]] = {}
    for item in items:
        seat = item.inventory
        result.setdefault(line_ids[item.cart_item.package_line_id], []).append({
            "order_item_id": item.pk, "name": item.full_name, "sector": item.match_sector.code,
            "row": seat.row_label if seat else None, "seat": seat.seat_number if seat else None,
            "answers": answers.get(item.pk, [])})
    return result


def purchase_data(purchase: PackagePurchase, holders: list[dict]) -> dict:
    return {"id": purchase.pk, "order_id": purchase.order_id,
            "order_number": purchase.order.number, "order_status": purchase.order.status,
            "purchased_at": purchase.created_at, "buyer": purchase.order.buyer.email,
            "package": {"id": purchase.package_id, "name": purchase.package.name,
                        "is_sponsorship": purchase.package.is_sponsorship},
            "quantity": purchase.quantity, "promo_code": purchase.promo_code,
            **{name: str(getattr(purchase, name)) for name in AMOUNTS},
            "holders": holders}


CSV_HEADER = ["order", "status", "purchased_at", "buyer", "package", "sponsorship", "quantity",
              "promo_code", "gross", "discount", "net", "fee", "holder", "sector", "row", "seat",
              "answers"]


def csv_rows(f: SalesFilter, batch: int = 500):
    """One CSV row per ticket holder of each purchase (the purchase's amounts on its first
    row only, so the columns add up), read in batches."""
    rows = purchases(f)
    for start in range(0, rows.count(), batch):
        page = list(rows[start:start + batch])
        holders = holders_of(page)
        for purchase in page:
            head = [purchase.order.number, purchase.order.status,
                    purchase.created_at.isoformat(), purchase.order.buyer.email,
                    purchase.package.name, "yes" if purchase.package.is_sponsorship else "no",
                    purchase.quantity, purchase.promo_code or ""]
            money = [getattr(purchase, name) for name in AMOUNTS]
            for n, holder in enumerate(holders.get(purchase.pk) or [{}]):
                yield [*head, *(money if n == 0 else ["", "", "", ""]),
                       holder.get("name", ""), holder.get("sector", ""), holder.get("row", ""),
                       holder.get("seat", ""),
                       "; ".join(f"{a['label']}: {a['display']}"
                                 for a in holder.get("answers", []))]
