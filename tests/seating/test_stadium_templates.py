"""The seeded Croatian home stadium templates (E2-F3 data seeding). The seed writes ~98,000
seats, so it runs once, in one test, and every check reads that one result."""

import time

import pytest
from django.db.models import Count, Sum

from seating.models import Seat, SeatType, Sector, SnakeConfig, Stadium
from seating.stadium_templates import seed_stadium_templates

pytestmark = pytest.mark.django_db

CAPACITY = {  # name -> (low, high): close to the real all-seater capacities
    "Stadion Maksimir": (34_000, 36_000),
    "Stadion Poljud": (32_000, 34_000),
    "Opus Arena": (12_500, 13_500),
    "Stadion Rujevica": (7_900, 8_500),
    "Stadion Varteks": (8_400, 9_200),
}


def rows_of(sector):
    """{row label: [(grid col, seat number), ...] in column order}."""
    rows = {}
    for seat in Seat.objects.filter(sector=sector).order_by("grid_row", "grid_col"):
        rows.setdefault(seat.row_identifier, []).append((seat.grid_col, seat.seat_number))
    return rows


def check_capacities(stadiums):
    assert [s.name for s in stadiums] == list(CAPACITY)
    seats = dict(Seat.objects.values_list("sector__stadium__name").annotate(n=Count("id")))
    for stadium in stadiums:
        low, high = CAPACITY[stadium.name]
        assert low <= seats[stadium.name] <= high, stadium.name
        assert stadium.stadium_type == "HOME"
        assert stadium.base_capacity == seats[stadium.name]
        counted = stadium.sectors.aggregate(seat_count=Sum("seat_count"),
                                            capacity=Sum("capacity"))
        assert counted == {"seat_count": seats[stadium.name], "capacity": seats[stadium.name]}


def check_sectors():
    maksimir = Sector.objects.filter(stadium__name="Stadion Maksimir")
    codes = set(maksimir.values_list("code", flat=True))
    assert codes >= {*(f"I{n}" for n in range(1, 9)), *(f"Z{n}" for n in range(1, 9)),
                     *(f"S{n}" for n in range(1, 7)), *(f"J{n}" for n in range(1, 7)),
                     "VIP", "GOST"}
    assert maksimir.get(code="VIP").sector_type == "VIP"
    for sector in Sector.objects.select_related("seat_map", "snake_config"):
        seat_map = sector.seat_map
        assert seat_map.configuration_status == "GENERATED"
        assert seat_map.total_seats == sector.seat_count > 0
        dims = seat_map.seat_map_json["dimensions"]
        assert seat_map.total_seats < dims["rows"] * dims["cols"], f"{sector} has no gaps"
        assert 0 < sector.snake_config.best_row_index < dims["rows"] // 2
        assert sector.snake_config.within_row_strategy == "CENTER_OUTWARD"
    irregular = SnakeConfig.objects.exclude(subsector_grouping_json=[])
    assert irregular.count() >= 2
    types = set(Seat.objects.values_list("seat_type", flat=True).distinct())
    assert types == set(SeatType.values)


def check_numbering():
    """Stairways leave columns empty, yet seat numbers run 1..n without a hole; corner rows
    are shorter than the rows behind them."""
    corner = Sector.objects.get(stadium__name="Stadion Maksimir", code="I1")  # RTL, corner
    rows = rows_of(corner)
    front, back = rows["1"], rows[str(len(rows))]
    assert len(front) < len(back)
    for seats in rows.values():
        cols = [col for col, _ in seats]
        assert cols != list(range(cols[0], cols[-1] + 1)), "expected a stairway gap"
        assert sorted(n for _, n in seats) == list(range(1, len(seats) + 1))
    # Istok is numbered right to left: seat 1 is the rightmost seat of the row.
    assert max(front)[1] == 1
    west = rows_of(Sector.objects.get(stadium__name="Stadion Maksimir", code="Z2"))
    assert min(west["1"])[1] == 1
    assert Seat.objects.filter(sector=corner, seat_type="TECHNICAL").count() == 0
    assert Seat.objects.filter(sector__code="Z4", sector__stadium__name="Stadion Maksimir",
                               seat_type="TECHNICAL").count() == 4


def test_the_five_croatian_templates_are_seeded_once_and_fast():
    started = time.monotonic()
    stadiums = seed_stadium_templates()
    elapsed = time.monotonic() - started

    check_capacities(stadiums)
    check_sectors()
    check_numbering()
    assert elapsed < 20  # ~100,000 seats; well under 10 s on PostgreSQL

    counts = (Stadium.objects.count(), Sector.objects.count(), Seat.objects.count())
    again = seed_stadium_templates()

    assert [s.pk for s in again] == [s.pk for s in stadiums]
    assert (Stadium.objects.count(), Sector.objects.count(), Seat.objects.count()) == counts
