"""The live match dashboard (E14-F2): what a match has sold, holds and has left, its money, its
sales over time and by channel, and its waiting room. Every function returns JSON-ready values
(money as strings, times in ISO 8601).

- `match_kpis`: read on every push, so kept to four small queries: the match, seating's one
  aggregate over the inventory by sector (`status_summary_compute`; standing sectors count their
  places), and the money of the match's orders with their completed refunds.
- `sales_breakdown`: sales over time (per minute, hour or day, chosen from the span of the sale)
  and by channel, from one grouped query over the orders (and one for the span).
- `waiting_room`: the queue's size, open purchase windows and admission rate.

What the numbers mean: `sold` is what is sold now (seats SOLD and standing places SOLD: a
refunded or cancelled ticket's seat is back on sale); `reserved` is held in a cart, a quota claim
or a petrol reservation and not yet expired; `available` is on sale now; `allocated` is set
aside for quotas; `unavailable` is blocked, technical, official and the like. Revenue `gross` is
the total (tickets and fees, VAT included) of every order that completed, `refunds` what was given
back to them (completed refunds), `net` = gross - refunds. The timeline and the channels count
sales as they happened (tickets issued and gross revenue), refunds aside.

Live updates: services announce a change of the match's seats or orders (seating's
`seat_statuses_changed`, ticketing's `order_completed`, payments' `refund_completed`:
reports/receivers.py) and `dashboard_nudge` tells the match's open dashboards, at most once per
DASHBOARD_PUSH_SECONDS for the whole site (reports/consumers.py says how none is missed)."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Trunc
from django.utils import timezone

from core.errors import NotFound
from core.outages import unless_redis_down
from core.roles import Role, user_has_role
from core.transactions import broadcast_on_commit
from payments.models import Refund, RefundStatus
from payments.pricing import ZERO, money
from queueing.models import QueueConfig, QueueEntry, QueueStatus
from queueing.services import RATE_MEASURE_WINDOW, queue_size
from seating.models import STATUS_COLORS, Match, SeatStatus
from seating.selectors import status_summary_compute
from ticketing.models import Order, OrderItem, OrderSource, OrderStatus

# Match Managers run the sales, Finance follows the money; Super Admins see everything.
DASHBOARD_ROLES = (Role.MATCH_MANAGER, Role.FINANCE)
SOLD_ORDER_STATUSES = (OrderStatus.COMPLETED, OrderStatus.REFUNDED)  # REFUNDED ones sold first
CHANNELS = ("SHOP", "QUOTA", "PETROL")
KPI_NAMES = ("capacity", "sold", "reserved", "available", "allocated", "unavailable")
# The timeline's bucket, from the span between the first and the last sale: minutes while the
# sale is young (at most 180 points), hours for a week (168), then days.
MINUTE_SPAN, HOUR_SPAN = timedelta(hours=3), timedelta(days=7)
BUCKET_STEPS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1),
                "day": timedelta(days=1)}


def dashboard_allowed(user) -> bool:
    return user_has_role(user, *DASHBOARD_ROLES)


def dashboard_group(match_id: int) -> str:
    return f"dashboard.match.{match_id}"


def _match(match_id: int) -> dict:
    match = (Match.objects.filter(pk=match_id, is_deleted=False)
             .values("id", "home_team", "away_team", "competition", "kick_off_time", "status")
             .first())
    if match is None:
        raise NotFound("Match not found.", code="match_not_found")
    return match | {"name": f"{match['home_team']} v {match['away_team']}",
                    "kick_off_time": match["kick_off_time"].isoformat()}


# --- KPIs -------------------------------------------------------------------------------------

def _sector(row: dict) -> dict:
    counts = row["status_counts"]
    sold, reserved = counts[SeatStatus.SOLD], counts[SeatStatus.RESERVED]
    available, allocated = counts[SeatStatus.AVAILABLE], counts[SeatStatus.ALLOCATED]
    capacity = sum(counts.values())
    return {"id": row["match_sector_id"], "code": row["code"], "name": row["name"],
            "is_numbered": row["is_numbered"], "capacity": capacity, "sold": sold,
            "reserved": reserved, "available": available, "allocated": allocated,
            "unavailable": capacity - sold - reserved - available - allocated,
            "status_counts": counts}


def _sold_orders(match_id: int):
    return Order.objects.filter(match_id=match_id, status__in=SOLD_ORDER_STATUSES)


def _revenue(match_id: int) -> dict:
    orders = _sold_orders(match_id)
    sales = orders.aggregate(orders=Count("pk"), gross=Sum("total_amount"))
    references = (orders.annotate(reference=Concat(Value("order:"), Cast("pk", CharField())))
                  .values("reference"))
    refunds = money(Refund.objects.filter(status=RefundStatus.COMPLETED, reference__in=references)
                    .aggregate(total=Sum("amount"))["total"] or ZERO)
    gross = money(sales["gross"] or ZERO)  # SQLite sums decimals as floats: back to cents
    return {"orders": sales["orders"], "gross": str(gross), "refunds": str(refunds),
            "net": str(gross - refunds), "currency": "EUR"}


def match_kpis(match_id: int) -> dict:
    """Sold, reserved, available (and allocated, unavailable, capacity) for the match and by
    sector, and its revenue. 404 (NotFound) for an unknown or deleted match."""
    match = _match(match_id)
    sectors = [_sector(row) for row in status_summary_compute(match_id=match_id, standing=True)]
    totals = {name: sum(sector[name] for sector in sectors) for name in KPI_NAMES}
    return {"match": match, **totals, "revenue": _revenue(match_id), "sectors": sectors,
            "colors": dict(STATUS_COLORS), "computed_at": timezone.now().isoformat()}


# --- Sales over time and by channel -----------------------------------------------------------

def _bucket_for(span: timedelta) -> str:
    return "minute" if span <= MINUTE_SPAN else "hour" if span <= HOUR_SPAN else "day"


def _timeline(rows: list[dict], bucket: str) -> list[dict]:
    """One point per bucket from the first sale to the last, empty buckets included."""
    by_time: dict[datetime, dict] = {}
    for row in rows:
        point = by_time.setdefault(row["at"], {"tickets": 0, "revenue": ZERO})
        point["tickets"] += row["tickets"] or 0
        point["revenue"] += row["revenue"] or ZERO
    if not by_time:
        return []
    step, at, last = BUCKET_STEPS[bucket], min(by_time), max(by_time)
    points = []
    while at <= last:
        point = by_time.get(at, {"tickets": 0, "revenue": ZERO})
        points.append({"at": timezone.localtime(at).isoformat(), "tickets": point["tickets"],
                       "revenue": str(money(point["revenue"]))})
        # Days step on the local clock (each starts at midnight, DST or not); minutes and hours
        # in real time.
        at = timezone.localtime(at) + step if bucket == "day" else at.astimezone(UTC) + step
    return points


def _channels(rows: list[dict]) -> list[dict]:
    totals = {name: {"channel": name, "orders": 0, "tickets": 0, "revenue": ZERO}
              for name in CHANNELS}
    for row in rows:
        channel = totals[row["channel"]]
        channel["orders"] += row["orders"]
        channel["tickets"] += row["tickets"] or 0
        channel["revenue"] += row["revenue"] or ZERO
    return [total | {"revenue": str(money(total["revenue"]))} for total in totals.values()]


def _at_and_channel(bucket: str, via: str = "") -> dict:
    """The sale's time bucket and channel, of an order (`via` "order__": of an order item)."""
    return {"at": Trunc(Coalesce(f"{via}paid_at", f"{via}ended_at"), bucket),
            "channel": Case(When(**{f"{via}petrol_sale__isnull": False}, then=Value("PETROL")),
                            When(**{f"{via}source": OrderSource.QUOTA}, then=Value("QUOTA")),
                            default=Value("SHOP"))}


def sales_breakdown(match_id: int) -> dict:
    """Tickets and gross revenue per time bucket, and per channel: SHOP (fans' carts), QUOTA
    (quota claims) and PETROL (sold at a petrol station, though recorded as a quota claim).
    Three grouped reads: the span, the orders and their items (counting each order's items in
    a subquery cost twice as much on a sold-out match)."""
    orders = _sold_orders(match_id)
    span = orders.aggregate(first=Min(Coalesce("paid_at", "ended_at")),
                            last=Max(Coalesce("paid_at", "ended_at")))
    if span["first"] is None:
        return {"bucket": "minute", "timeline": [], "channels": _channels([])}
    bucket = _bucket_for(span["last"] - span["first"])
    rows = {(row["at"], row["channel"]): row | {"tickets": 0} for row in (
        orders.annotate(**_at_and_channel(bucket)).values("at", "channel")
        .annotate(orders=Count("pk"), revenue=Sum("total_amount")).order_by())}
    items = (OrderItem.objects.filter(order__match_id=match_id,
                                      order__status__in=SOLD_ORDER_STATUSES)
             .annotate(**_at_and_channel(bucket, "order__")).values("at", "channel")
             .annotate(tickets=Count("pk")).order_by())
    for row in items:  # an order completed between the two reads makes a bucket of its own
        rows.setdefault((row["at"], row["channel"]), {
            "at": row["at"], "channel": row["channel"], "orders": 0, "revenue": ZERO,
            "tickets": 0})["tickets"] = row["tickets"]
    rows = sorted(rows.values(), key=lambda row: row["at"])
    return {"bucket": bucket, "timeline": _timeline(rows, bucket), "channels": _channels(rows)}


# --- The waiting room -------------------------------------------------------------------------

def waiting_room(match_id: int) -> dict:
    """The queue's size (waiting fans), open purchase windows (admitted, window not run out) and
    the admission rate measured over queueing's RATE_MEASURE_WINDOW (not the configured rate
    that queueing's own estimate falls back on: here a stalled queue must show as 0)."""
    config = (QueueConfig.objects.filter(match_id=match_id)
              .values("is_active", "admission_paused", "admission_rate_per_minute",
                      "max_open_windows").first())
    if config is None or not config["is_active"]:
        return {"active": False, "paused": False, "size": 0, "open_windows": 0,
                "max_open_windows": 0, "admission_rate_per_minute": 0.0,
                "configured_rate_per_minute": 0}
    now = timezone.now()
    window_open = Q(status=QueueStatus.ADMITTED, window_expires_at__gt=now)
    admitted_lately = Q(admitted_at__gt=now - RATE_MEASURE_WINDOW)
    counts = (QueueEntry.objects.filter(window_open | admitted_lately, match_id=match_id)
              .aggregate(open=Count("pk", filter=window_open),
                         admitted=Count("pk", filter=admitted_lately)))
    minutes = RATE_MEASURE_WINDOW.total_seconds() / 60
    return {"active": True, "paused": config["admission_paused"],
            "size": queue_size(match_id), "open_windows": counts["open"],
            "max_open_windows": config["max_open_windows"],
            "admission_rate_per_minute": round(counts["admitted"] / minutes, 1),
            "configured_rate_per_minute": config["admission_rate_per_minute"]}


# --- All of it --------------------------------------------------------------------------------

def match_dashboard(match_id: int, *, sales: dict | None = None) -> dict:
    """The KPIs, the sales over time and by channel, and the waiting room of one match.
    `sales`: a breakdown read a moment ago, to reuse (the live page reads it less often than
    the KPIs: it is the heavier read)."""
    kpis = match_kpis(match_id)
    return kpis | {"sales": sales or sales_breakdown(match_id),
                   "waiting_room": waiting_room(match_id)}


def dashboard_nudge(match_id: int) -> None:
    """Tell the match's open dashboards that its sales changed, once the transaction commits
    (at once outside one). At most one nudge per match in DASHBOARD_PUSH_SECONDS across every
    process (a Redis SET NX PX guard): during a rush the guard swallows the rest, and a
    dashboard that hears a nudge refreshes once more when the guard has lapsed, so the last
    sale always shows. Never fails the change it announces (Redis down: logged, and the
    dashboard's periodic refresh catches up)."""

    def nudge() -> None:
        with unless_redis_down(f"the dashboard nudge of match {match_id}"):
            if cache.add(f"reports:dashboard-nudge:{match_id}", 1,
                         timeout=settings.DASHBOARD_PUSH_SECONDS):
                broadcast_on_commit(dashboard_group(match_id),
                                    {"type": "dashboard.changed", "match_id": match_id})

    transaction.on_commit(nudge, robust=True)
