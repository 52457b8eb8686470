"""The reports that come as tables (E14-F1): sales (one row per ticket sold), attendance (one
row per sector) and quota usage (one row per quota). Each is a `Table`: its columns, its rows
as a lazy iterator (streamed from the database in chunks, so a 35,000-row export never holds
them all) and its totals. Previews and the export jobs read the same tables."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Concat

from payments.pricing import ZERO
from quotas.models import Quota, QuotaSeat, QuotaSeatStatus
from reports.services.financial import AMOUNTS, financial_report, sold_in_period
from seating.models import MatchSector
from ticketing.models import OrderItem, OrderSource, OrderStatus, Ticket, TicketStatus

CHUNK = 2000
CHANNELS = ("SHOP", "QUOTA", "PETROL")
# A quota claim paid at a petrol station is a petrol sale; any other claim is the quota's.
CHANNEL = Case(When(order__petrol_sale__isnull=False, then=Value("PETROL")),
               When(order__source=OrderSource.QUOTA, then=Value("QUOTA")),
               default=Value("SHOP"), output_field=CharField())
SOLD_TICKETS = (TicketStatus.VALID, TicketStatus.ATTENDED)


@dataclass
class Table:
    title: str
    columns: tuple[str, ...]
    # Called once per read: a fresh, lazy iterator over every row, or over the first `limit`.
    rows: Callable[..., Iterator[tuple]]
    row_count: int
    totals: dict


def _listed(lines: list[tuple]) -> Callable[..., Iterator[tuple]]:
    return lambda limit=None: iter(lines[:limit])


# --- sales ---------------------------------------------------------------------------------

SALES_COLUMNS = ("order", "sold_at", "match_id", "match", "sector", "row", "seat",
                 "ticket_type", "channel", "holder", "unit_price", "ticket_status",
                 "order_status")


def sales_items(*, match_id: int | None = None, date_from: date | None = None,
                date_to: date | None = None, ticket_type: str = "", sector: str = "",
                channel: str = ""):
    """The tickets sold (completed orders, and refunded ones: a refund is not unsold) that
    match the filters, each with its channel."""
    items = OrderItem.objects.filter(order__status__in=(OrderStatus.COMPLETED,
                                                        OrderStatus.REFUNDED))
    if match_id:
        items = items.filter(order__match_id=match_id)
    if date_from and date_to:
        items = items.filter(sold_in_period(date_from, date_to, prefix="order__"))
    if ticket_type:
        items = items.filter(price_category__name__iexact=ticket_type)
    if sector:
        items = items.filter(match_sector__code__iexact=sector)
    items = items.annotate(channel=CHANNEL)
    return items.filter(channel=channel) if channel else items


def sales_table(**filters) -> Table:
    items = sales_items(**filters)
    sums = items.aggregate(tickets=Count("id"), orders=Count("order_id", distinct=True),
                           gross=Sum("unit_price"))
    by_channel = {name: {"tickets": 0, "gross": ZERO} for name in CHANNELS}
    for row in items.values("channel").annotate(n=Count("id"), gross=Sum("unit_price")):
        by_channel[row["channel"]] = {"tickets": row["n"], "gross": row["gross"] or ZERO}

    def rows(limit: int | None = None) -> Iterator[tuple]:
        values = (items.order_by("id").annotate(
            sold_at=Coalesce("order__paid_at", "order__ended_at"),
            match_name=Concat("order__match__home_team", Value(" v "),
                              "order__match__away_team", output_field=CharField()),
            holder=Concat("first_name", Value(" "), "last_name", output_field=CharField()))
            .values_list("order__number", "sold_at", "order__match_id", "match_name",
                         "match_sector__code", "inventory__row_label",
                         "inventory__seat_number", "price_category__name", "channel",
                         "holder", "unit_price", "ticket__status", "order__status"))
        # A preview is one LIMIT query; an export streams through a server-side cursor.
        return iter(values[:limit]) if limit else values.iterator(chunk_size=CHUNK)

    return Table(title="Sales", columns=SALES_COLUMNS, rows=rows, row_count=sums["tickets"],
                 totals={"tickets": sums["tickets"], "orders": sums["orders"],
                         "gross": sums["gross"] or ZERO, "by_channel": by_channel})


# --- attendance ----------------------------------------------------------------------------

ATTENDANCE_COLUMNS = ("sector", "name", "sold", "attended", "no_shows", "attendance_percent")


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1")) if whole else Decimal("0.0")


def attendance_table(*, match_id: int) -> Table:
    """Per sector of the match: tickets sold (valid or scanned in), attended (scanned in, from
    the attendance import or the gates) and no-shows. One aggregate query."""
    tickets = Ticket.objects.filter(match_id=match_id, status__in=SOLD_TICKETS)
    counts = {row["order_item__match_sector_id"]: row for row in
              tickets.values("order_item__match_sector_id").annotate(
                  sold=Count("id"), attended=Count("id", filter=Q(
                      status=TicketStatus.ATTENDED)))}
    sectors = list(MatchSector.objects.filter(match_id=match_id)
                   .order_by("display_order", "code").values_list("id", "code", "name"))
    lines = []
    for pk, code, name in sectors:
        sold = counts.get(pk, {}).get("sold", 0)
        attended = counts.get(pk, {}).get("attended", 0)
        lines.append((code, name, sold, attended, sold - attended, _percent(attended, sold)))
    sold = sum(line[2] for line in lines)
    attended = sum(line[3] for line in lines)
    return Table(title="Attendance", columns=ATTENDANCE_COLUMNS, rows=_listed(lines),
                 row_count=len(lines),
                 totals={"sold": sold, "attended": attended, "no_shows": sold - attended,
                         "attendance_percent": _percent(attended, sold)})


# --- quota usage ---------------------------------------------------------------------------

QUOTA_COLUMNS = ("quota_id", "parent_id", "type", "holder", "email", "status", "quantity",
                 "allocated", "claimed", "delegated", "sold")
LIVE = ~Q(status=QuotaSeatStatus.CANCELLED)
CLAIMED = (QuotaSeatStatus.RESERVED, QuotaSeatStatus.SOLD)  # its ticket holders are chosen


def _seat_counts(group_by: str, match_id: int) -> dict[int, dict]:
    """Seat counts per quota, by root (`quota_id`) or by the subquota seats were delegated to
    (`subquota_id`): one aggregate query."""
    seats = QuotaSeat.objects.filter(LIVE, quota__match_id=match_id).exclude(
        **{f"{group_by}__isnull": True})
    return {row[group_by]: row for row in seats.values(group_by).annotate(
        allocated=Count("id"), claimed=Count("id", filter=Q(status__in=CLAIMED)),
        delegated=Count("id", filter=Q(subquota_id__isnull=False)),
        sold=Count("id", filter=Q(status=QuotaSeatStatus.SOLD)))}


def quota_usage_table(*, match_id: int) -> Table:
    """Per quota of the match (roots and their subquotas): seats allocated, claimed (holders
    chosen), delegated on to subquotas and sold. A root's counts include what it delegated."""
    by_root = _seat_counts("quota_id", match_id)
    by_subquota = _seat_counts("subquota_id", match_id)
    quotas = list(Quota.objects.filter(match_id=match_id).order_by("parent_id", "id").values_list(
        "id", "parent_id", "quota_type", F("recipient_name"), "recipient_email", "status",
        "quantity"))
    lines = []
    for pk, parent_id, kind, name, email, status, quantity in quotas:
        counts = by_subquota.get(pk, {}) if parent_id else by_root.get(pk, {})
        delegated = 0 if parent_id else counts.get("delegated", 0)
        lines.append((pk, parent_id, kind, name, email, status, quantity,
                      counts.get("allocated", 0), counts.get("claimed", 0), delegated,
                      counts.get("sold", 0)))
    roots = [line for line in lines if line[1] is None]
    totals = {name: sum(line[7 + i] for line in roots)
              for i, name in enumerate(("allocated", "claimed", "delegated", "sold"))}
    return Table(title="Quota usage", columns=QUOTA_COLUMNS, rows=_listed(lines),
                 row_count=len(lines), totals={"quotas": len(roots), **totals})


# --- financial, as a table -----------------------------------------------------------------

FINANCIAL_COLUMNS = ("method", "orders", "tickets", *AMOUNTS)


def financial_table(*, date_from: date, date_to: date, match_id: int | None = None) -> Table:
    report = financial_report(date_from=date_from, date_to=date_to, match_id=match_id)
    lines = [(row.method, row.orders, row.tickets, *(getattr(row, name) for name in AMOUNTS))
             for row in [*report.methods, report.total]]
    return Table(title="Financial reconciliation", columns=FINANCIAL_COLUMNS,
                 rows=_listed(lines), row_count=len(lines),
                 totals={"kept_total": report.kept_total, "difference": report.difference,
                         "reconciles": report.reconciles, "report": report})
