"""Small builders for seating tests. They write rows directly (test setup, not business
writes) so a test can start from any state; others may import them."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from seating.models import (
    Match,
    MatchSector,
    MatchType,
    PriceCategory,
    Seat,
    SeatType,
    Sector,
    Stadium,
)

ROWS = "ABCDE"
SEATS_PER_ROW = 10


def make_stadium(*, name: str = "Stadion Maksimir", city: str = "Zagreb",
                 sectors: tuple[tuple[str, str, int], ...] = (("North stand", "N", 500),
                                                               ("South stand", "S", 400)),
                 **fields) -> Stadium:
    """A stadium template with capacity-only sectors given as (name, code, capacity)."""
    stadium = Stadium.objects.create(name=name, city=city, **fields)
    for order, (sector_name, code, capacity) in enumerate(sectors):
        Sector.objects.create(stadium=stadium, name=sector_name, code=code, capacity=capacity,
                              display_order=order)
    return stadium


def make_seated_sector(*, stadium: Stadium, code: str = "A", name: str = "",
                       rows: str = ROWS, seats_per_row: int = SEATS_PER_ROW,
                       technical: tuple[tuple[str, int], ...] = ()) -> Sector:
    """A sector with generated seats: `rows` by `seats_per_row`, seats numbered from 1, grid
    coordinates from 0; (row, number) pairs in `technical` are TECHNICAL seats."""
    count = len(rows) * seats_per_row
    sector = Sector.objects.create(stadium=stadium, name=name or f"Sector {code}", code=code,
                                   capacity=count, seat_count=count,
                                   display_order=stadium.sectors.count())
    Seat.objects.bulk_create([
        Seat(sector=sector, row_identifier=row, seat_number=number, grid_row=r,
             grid_col=number - 1,
             seat_type=SeatType.TECHNICAL if (row, number) in technical else SeatType.STANDARD)
        for r, row in enumerate(rows) for number in range(1, seats_per_row + 1)
    ])
    return sector


def make_match(**fields) -> Match:
    defaults = {"home_team": "Croatia", "away_team": "France", "competition": "Friendly",
                "kick_off_time": timezone.now() + timedelta(days=30),
                "match_type": MatchType.HOME, "is_numbered": True}
    return Match.objects.create(**{**defaults, **fields})


def make_price_category(*, match: Match, name: str = "Category 1",
                        price: Decimal = Decimal("30.00"), **fields) -> PriceCategory:
    return PriceCategory.objects.create(match=match, name=name, price=price, **fields)


def make_match_sector(*, match: Match, code: str = "N", total: int = 100, technical: int = 0,
                      sellable: int | None = None, **fields) -> MatchSector:
    """A capacity-only match sector (no template seats)."""
    return MatchSector.objects.create(
        match=match, name=fields.pop("name", f"Sector {code}"), code=code, total_capacity=total,
        technical_seats=technical,
        sellable_capacity=total - technical if sellable is None else sellable,
        is_numbered=fields.pop("is_numbered", False), **fields)
