"""Build a numbered match sector from a picture. Each string is a row, top row first:
`X` a seat, `.` a gap (aisle or stairway), `S` a sold seat, `T` a technical seat."""

from datetime import timedelta

from django.utils import timezone

from seating.models import (
    Match,
    MatchSector,
    MatchType,
    Seat,
    SeatInventory,
    SeatStatus,
    Sector,
    SnakeConfig,
    Stadium,
)
from seating.services.inventory import inventory_build

ROW_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def build_sector(picture: list[str], *, match: Match | None = None, code: str = "A1",
                 best_row: int = 0, traversal: str = "TOP_TO_BOTTOM",
                 strategy: str = "CENTER_OUTWARD", groups: list | None = None) -> MatchSector:
    match = match or Match.objects.create(
        home_team="Hrvatska", away_team="Italija", match_type=MatchType.HOME,
        kick_off_time=timezone.now() + timedelta(days=30))
    stadium = Stadium.objects.create(name=f"Test stadium {code}", city="Zagreb")
    sector = Sector.objects.create(stadium=stadium, name=code, code=code, capacity=0)
    seats, sold = [], []
    for grid_row, line in enumerate(picture):
        number = 0
        for grid_col, mark in enumerate(line):
            if mark == ".":
                continue
            number += 1
            seats.append(Seat(sector=sector, row_identifier=ROW_LABELS[grid_row],
                              seat_number=number, grid_row=grid_row, grid_col=grid_col,
                              seat_type="TECHNICAL" if mark == "T" else "STANDARD"))
            if mark == "S":
                sold.append((grid_row, grid_col))
    Seat.objects.bulk_create(seats)
    SnakeConfig.objects.create(sector=sector, best_row_index=best_row,
                               traversal_direction=traversal, within_row_strategy=strategy,
                               subsector_grouping_json=groups or [])
    match_sector = MatchSector.objects.create(
        match=match, sector=sector, name=code, code=code, total_capacity=len(seats),
        sellable_capacity=len(seats), is_numbered=True, has_seat_map=True)
    inventory_build(match_sector=match_sector)
    for grid_row, grid_col in sold:
        SeatInventory.objects.filter(match_sector=match_sector, grid_row=grid_row,
                                     grid_col=grid_col).update(status=SeatStatus.SOLD)
    return match_sector


def picture_of(match_sector: MatchSector, mine: set[int]) -> list[str]:
    """The sector drawn back: `#` the seats in `mine`, `X` free, `S` taken, `.` gap."""
    items = list(match_sector.inventory.all())
    width = max(i.grid_col for i in items) + 1
    height = max(i.grid_row for i in items) + 1
    grid = [["."] * width for _ in range(height)]
    for item in items:
        mark = "#" if item.id in mine else ("X" if item.status == SeatStatus.AVAILABLE else "S")
        grid[item.grid_row][item.grid_col] = mark
    return ["".join(row) for row in grid]
