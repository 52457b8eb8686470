"""Small builders for seat-inventory tests: a stadium with one sector of rows A..F x 12 seats
(grid columns 0-5 and 7-12, column 6 is an aisle), a match using it, and its inventory."""

import itertools
from datetime import timedelta

from django.utils import timezone

from seating.models import Match, MatchSector, MatchType, Seat, Sector, Stadium
from seating.services.inventory import inventory_build

ROWS = "ABCDEF"
SEATS_PER_ROW = 12
GAP_COL = 6

_n = itertools.count(1)


def stadium_make(**fields) -> Stadium:
    return Stadium.objects.create(**{"name": f"Stadion {next(_n)}", "city": "Zagreb", **fields})


def sector_make(stadium: Stadium | None = None, code: str = "N1", rows: str = ROWS,
                seats_per_row: int = SEATS_PER_ROW) -> Sector:
    stadium = stadium or stadium_make()
    sector = Sector.objects.create(stadium=stadium, name=f"North {code}", code=code,
                                   capacity=len(rows) * seats_per_row,
                                   seat_count=len(rows) * seats_per_row)
    Seat.objects.bulk_create([
        Seat(sector=sector, row_identifier=label, seat_number=number, grid_row=grid_row,
             grid_col=number - 1 if number - 1 < GAP_COL else number)
        for grid_row, label in enumerate(rows) for number in range(1, seats_per_row + 1)
    ])
    return sector


def match_make(stadium: Stadium | None = None, kick_off=None, **fields) -> Match:
    return Match.objects.create(**{
        "home_team": "Hrvatska", "away_team": f"Opponent {next(_n)}",
        "kick_off_time": kick_off or timezone.now() + timedelta(days=30),
        "venue": stadium or stadium_make(), "match_type": MatchType.HOME, **fields})


def match_sector_make(match: Match, sector: Sector, **fields) -> MatchSector:
    capacity = sector.seats.count()
    return MatchSector.objects.create(**{
        "match": match, "sector": sector, "name": sector.name, "code": sector.code,
        "total_capacity": capacity, "sellable_capacity": capacity, "has_seat_map": True,
        **fields})


def inventory_make(match: Match | None = None, sector: Sector | None = None,
                   code: str = "N1") -> MatchSector:
    """A match (new unless given) with one numbered match sector and its inventory built."""
    match = match or match_make()
    sector = sector or sector_make(match.venue, code=code)
    match_sector = match_sector_make(match, sector)
    inventory_build(match_sector=match_sector)
    return match_sector
