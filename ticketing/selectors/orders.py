"""Reads of a fan's order for its rendering (E9-F1, E9-F7): plain reads, no locks, no writes."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet

from payments.models import Payment
from ticketing.models import Order, OrderItem
from ticketing.packages.models import OptionResponse, Package

# Every fan reads their order after paying and again on the way to the match. Measured with
# bench/onsale_profile.py, building this read through the ORM (four joins, one instance per
# row) cost more Python than the database spent running it; as plain SQL it is one statement.
ORDER_LINES_SQL = (
    "SELECT i.id, i.first_name, i.last_name, i.holder_source, i.is_minor, i.oib, i.unit_price,"
    " s.code, z.name, seat.row_label, seat.seat_number, t.id, t.status, t.holder_name,"
    " i.package_id"
    " FROM ticketing_orderitem i"
    " JOIN seating_matchsector s ON s.id = i.match_sector_id"
    " JOIN seating_pricecategory z ON z.id = i.price_category_id"
    " LEFT JOIN seating_seatinventory seat ON seat.id = i.inventory_id"
    " LEFT JOIN ticketing_ticket t ON t.order_item_id = i.id"
    " WHERE i.order_id = %s ORDER BY i.id")
_oib = OrderItem._meta.get_field("oib")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One item of an order with its seat and, once issued, its ticket."""

    item_id: int
    holder_name: str
    holder_source: str
    is_minor: bool
    oib: str  # decrypted; mask it before showing it
    unit_price: Decimal
    sector: str
    zone: str
    row: str | None
    seat: int | None
    ticket_id: int | None
    ticket_status: str | None
    ticket_holder_name: str | None
    package_id: int | None


def order_lines(order_id: int) -> list[OrderLine]:
    with connection.cursor() as cursor:
        cursor.execute(ORDER_LINES_SQL, [order_id])
        rows = cursor.fetchall()
    return [OrderLine(item_id=item_id, holder_name=f"{first_name} {last_name}".strip(),
                      holder_source=holder_source, is_minor=bool(is_minor),
                      oib=_oib.from_db_value(oib, None, connection), unit_price=unit_price,
                      sector=sector, zone=zone, row=row, seat=seat, ticket_id=ticket_id,
                      ticket_status=ticket_status, ticket_holder_name=ticket_holder_name,
                      package_id=package_id)
            for (item_id, first_name, last_name, holder_source, is_minor, oib, unit_price,
                 sector, zone, row, seat, ticket_id, ticket_status, ticket_holder_name,
                 package_id) in rows]


def order_package_details(lines: list[OrderLine]) -> tuple[dict[int, str], dict[int, list]]:
    """The package names of the order's package tickets (package id -> name) and their
    holders' answers (item id -> [{option_id, label, value}]); no read for an order without
    packages."""
    ids = {line.package_id for line in lines if line.package_id}
    if not ids:
        return {}, {}
    names = dict(Package.objects.filter(pk__in=ids).values_list("pk", "name"))
    answers: dict[int, list] = {}
    for response in (OptionResponse.objects.filter(order_item_id__in=[line.item_id
                                                                     for line in lines])
                     .select_related("option")):
        answers.setdefault(response.order_item_id, []).append(answer_data(response.option,
                                                                          response.value))
    return names, answers


def answer_data(option, value) -> dict:
    return {"option_id": option.pk, "label": option.label, "value": value}


def order_payments(order: Order) -> list[Payment]:
    """Every payment of the order (its refunds count them all), the current attempt's too."""
    return list(Payment.objects.filter(Q(reference=order.payment_reference)
                                       | Q(idempotency_key=order.payment_idempotency_key)))


def seat_ids_of_email(email: str) -> QuerySet:
    """Inventory ids of the seats on tickets held by, or bought by, this email (a subquery)."""
    return (OrderItem.objects.filter(Q(email__iexact=email) | Q(order__buyer__email__iexact=email))
            .values("inventory_id"))
