"""What an order bought of packages (US9): one `PackagePurchase` per cart line, written with the
order, with the line's gross (package price x quantity), its promo discount, net, and its share
of the order's service fee (in proportion to its net, so shares add up to the fee within a cent
per line)."""

from decimal import Decimal

from core.sql import insert_rows
from payments.pricing import ZERO, money
from ticketing.packages.models import PackagePurchase


def purchases_record(*, order, items: list, tickets: list, amounts, now) -> None:
    """`items`: the cart's items (with `package_id`, `package_line_id`, `package_quantity`);
    `tickets`: for each ticket, (its item's index, what it costs after the promo)."""
    lines: dict[int, dict] = {}
    for index, price in tickets:
        item = items[index]
        if not item.package_line_id:
            continue
        line = lines.setdefault(item.package_line_id, {
            "package_id": item.package_id, "quantity": item.package_quantity,
            "gross": ZERO, "net": ZERO})
        line["gross"] += item.full_price
        line["net"] += price
    rows = []
    for line_id, line in lines.items():
        fee = (money(amounts.fee_amount * line["net"] / amounts.ticket_amount)
               if amounts.ticket_amount else Decimal("0.00"))
        rows.append(PackagePurchase(
            order=order, package_id=line["package_id"], cart_line_id=line_id,
            quantity=line["quantity"], gross_amount=line["gross"],
            discount_amount=line["gross"] - line["net"], net_amount=line["net"], fee_amount=fee,
            created_at=now))
    if rows:
        insert_rows(rows)
