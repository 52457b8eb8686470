"""Public match catalogue for fans (E4-F1, E4-F2): the upcoming matches with their sale status
and a pricing preview, and a match's zones (one per price category) with prices and
availability. Plain reads: no locks, no writes.

Availability is read from the inventory with aggregate queries: numbered sectors count seats
whose effective status is AVAILABLE (an expired hold is back on sale, as in
`seating.services.inventory.effective_status`); non-numbered sectors take live
general-admission holds off the sellable capacity (as `seating.services.allocation.
ga_available` does, for many sectors in one query)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.errors import NotFound
from payments.pricing import line_amounts
from seating.models import (
    GeneralAdmissionHold,
    HoldStatus,
    Match,
    MatchSector,
    MatchSectorStatus,
    MatchStatus,
    PhaseType,
    PriceCategory,
    SalesPhase,
    SeatInventory,
    SeatStatus,
)

CENT = Decimal("0.01")
# Phases in which any fan can buy; QUOTA_ONLY phases sell through the quota portal only.
FAN_PHASES = (PhaseType.GENERAL_PUBLIC, PhaseType.LOYALTY)
VISIBLE_STATUSES = (MatchStatus.PUBLISHED, MatchStatus.ACTIVE)


class SaleStatus:
    NOT_ON_SALE = "NOT_ON_SALE"
    ON_SALE = "ON_SALE"
    SOLD_OUT = "SOLD_OUT"
    ENDED = "ENDED"


# --- prices ---------------------------------------------------------------------------------

def sale_day(moment: datetime) -> date:
    """The calendar day in the project's time zone (Europe/Zagreb), whatever time zone the
    request activated: the day prices go by."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def discount_percent_on(match: Match, now: datetime) -> Decimal:
    """The pre-sale discount that applies at `now`: the match's discount before match day,
    nothing from match day on."""
    if sale_day(now) < sale_day(match.kick_off_time):
        return Decimal(match.presale_discount_percent).quantize(CENT)
    return Decimal("0.00")


def price_after_discount(price: Decimal, discount_percent: Decimal) -> Decimal:
    """One ticket's price after the pre-sale discount, by the one pricing module's rule."""
    return line_amounts(unit_price=price, quantity=1, discount_percent=discount_percent).unit_amount


# --- availability ---------------------------------------------------------------------------

def _count(seats: QuerySet[SeatInventory]) -> Coalesce:
    counted = seats.order_by().values("match_sector").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _seats_available(now: datetime) -> CombinedExpression:
    """Seats whose effective status is AVAILABLE (`effective_status_is`, spelled as two counts
    so that each reads one partial index: AVAILABLE rows by (match_sector, row_rank), RESERVED
    rows by (match_sector, hold_expires_at); one OR-ed count scanned the whole sector)."""
    in_sector = SeatInventory.objects.filter(match_sector=OuterRef("pk"))
    free = in_sector.filter(status=SeatStatus.AVAILABLE)
    lapsed = in_sector.filter(status=SeatStatus.RESERVED, hold_expires_at__lte=now,
                              release_to=SeatStatus.AVAILABLE)
    return _count(free) + _count(lapsed)


def _ga_taken(now: datetime) -> Coalesce:
    """Places taken by general-admission holds: the same rule as allocation.ga_available."""
    live = Q(status__in=[HoldStatus.ALLOCATED, HoldStatus.SOLD]) | Q(
        status=HoldStatus.HELD) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    holds = (GeneralAdmissionHold.objects.filter(live, match_sector=OuterRef("pk"))
             .order_by().values("match_sector").annotate(n=Sum("quantity")).values("n"))
    return Coalesce(Subquery(holds, output_field=IntegerField()), 0)


def _on_sale(match_ids: list[int]) -> QuerySet[MatchSector]:
    """The ACTIVE match sectors with a price category, in display order."""
    return (MatchSector.objects
            .filter(match_id__in=match_ids, status=MatchSectorStatus.ACTIVE,
                    price_category__isnull=False)
            .select_related("price_category")
            .order_by("match_id", "display_order", "code"))


def zone_sectors(*, match_id: int, zone_id: int) -> list[MatchSector]:
    """A zone's (price category's) sectors on sale, without counting what is free: adding to
    a cart needs only the candidates, the allocator finds the seats."""
    return list(_on_sale([match_id]).filter(price_category_id=zone_id))


def sellable_sectors(*, match_ids: list[int], now: datetime) -> list[MatchSector]:
    """The ACTIVE match sectors with a price category of the given matches, each with
    `available` set, in display order. One query whatever the number of matches/sectors."""
    sectors = (_on_sale(match_ids)
               .annotate(seats_available=_seats_available(now), ga_taken=_ga_taken(now)))
    sectors = list(sectors)
    for sector in sectors:
        if sector.is_numbered:
            sector.available = sector.seats_available
        else:
            sector.available = max(0, sector.sellable_capacity - sector.ga_taken)
    return sectors


# --- the match list (E4-F1) -----------------------------------------------------------------

def _visible_matches() -> QuerySet[Match]:
    return Match.objects.filter(status__in=VISIBLE_STATUSES, is_deleted=False)


def match_catalog_list() -> QuerySet[Match]:
    """Matches a fan can see that have not kicked off, soonest first. Pass the page through
    `match_catalog_annotate` before rendering."""
    fan_phases = SalesPhase.objects.filter(phase_type__in=FAN_PHASES, is_active=True)
    return (_visible_matches().filter(kick_off_time__gt=timezone.now())
            .select_related("venue")
            .prefetch_related(Prefetch("sales_phases", queryset=fan_phases.order_by("start_at"),
                                       to_attr="fan_phases"))
            .order_by("kick_off_time", "id"))


@dataclass
class PricePreview:
    min_price: Decimal
    max_price: Decimal
    full_min_price: Decimal
    full_max_price: Decimal
    discount_percent: Decimal
    currency: str


def _sale_status(phases: list[SalesPhase], available: int,
                 now: datetime) -> tuple[str, SalesPhase | None]:
    """ON_SALE / SOLD_OUT while a fan phase runs (by whether any place is left), NOT_ON_SALE
    before the next fan phase or when none is set up, ENDED once every fan phase is over.
    The phase returned is the running one, or the next one for NOT_ON_SALE."""
    current = next((p for p in phases if p.start_at <= now < p.end_at), None)
    if current is not None:
        return (SaleStatus.ON_SALE if available > 0 else SaleStatus.SOLD_OUT), current
    upcoming = next((p for p in phases if p.start_at > now), None)
    if upcoming is not None or not phases:
        return SaleStatus.NOT_ON_SALE, upcoming
    return SaleStatus.ENDED, None


def match_catalog_annotate(matches: list[Match]) -> list[Match]:
    """Set `sale_status`, `sale_phase` and `pricing` (a PricePreview or None) on each match
    of a page (fetched by `match_catalog_list`), with one query for all of them."""
    now = timezone.now()
    by_match: dict[int, list[MatchSector]] = {m.id: [] for m in matches}
    for sector in sellable_sectors(match_ids=list(by_match), now=now):
        by_match[sector.match_id].append(sector)
    for match in matches:
        sectors = by_match[match.id]
        available = sum(s.available for s in sectors)
        match.sale_status, match.sale_phase = _sale_status(match.fan_phases, available, now)
        match.pricing = None
        if sectors:
            prices = [s.price_category.price for s in sectors]
            discount = discount_percent_on(match, now)
            match.pricing = PricePreview(
                min_price=price_after_discount(min(prices), discount),
                max_price=price_after_discount(max(prices), discount),
                full_min_price=min(prices), full_max_price=max(prices),
                discount_percent=discount,
                currency=min(sectors, key=lambda s: s.price_category.price)
                .price_category.currency)
    return matches


# --- a match's zones (E4-F2) ----------------------------------------------------------------

@dataclass
class Zone:
    category: PriceCategory
    price: Decimal
    full_price: Decimal
    discount_percent: Decimal
    max_quantity: int = 0
    sectors: list[MatchSector] = field(default_factory=list)

    @property
    def available(self) -> int:
        return sum(s.available for s in self.sectors)


def match_catalog_get(*, match_id: int) -> Match:
    """A match a fan may see (published or active, not deleted), else 404."""
    match = _visible_matches().select_related("venue").filter(pk=match_id).first()
    if match is None:
        raise NotFound(f"There is no match {match_id}.", code="match_not_found")
    return match


def match_zones(*, match: Match, now: datetime | None = None) -> list[Zone]:
    """One zone per price category that has an ACTIVE sector, dearest first: today's price
    (pre-sale discount before match day), availability, and how many a fan may pick."""
    now = now or timezone.now()
    discount = discount_percent_on(match, now)
    zones: dict[int, Zone] = {}
    for sector in sellable_sectors(match_ids=[match.id], now=now):
        category = sector.price_category
        if category.id not in zones:
            zones[category.id] = Zone(category=category, full_price=category.price,
                                      price=price_after_discount(category.price, discount),
                                      discount_percent=discount)
        zones[category.id].sectors.append(sector)
    for zone in zones.values():
        zone.max_quantity = min(settings.MAX_TICKETS_PER_FAN_PER_MATCH, zone.available)
    return sorted(zones.values(), key=lambda z: (-z.full_price, z.category.name))


def zones_cache_key(*, match_id: int, now: datetime) -> str:
    """Where a match's zones, as shown at `now`, are shared for ZONES_CACHE_SECONDS: per day
    (the pre-sale discount ends at midnight) and per window of that many seconds, so an entry
    is never older than the window, on any cache backend and under a frozen clock in tests."""
    window = int(now.timestamp()) // settings.ZONES_CACHE_SECONDS
    return f"catalog:zones:{match_id}:{sale_day(now)}:{window}"
