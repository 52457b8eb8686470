"""Many fans allocating at once on PostgreSQL: nobody gets a seat twice, nothing is oversold."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Conflict
from seating.models import SeatAuditLog, SeatInventory, SeatStatus
from seating.services.allocation import Hold, allocate
from seating.services.inventory import seats_transition
from tests.concurrency import run_together
from tests.seating.layouts import build_sector

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def hold(index):
    return Hold(owner=f"cart:{index}", until=timezone.now() + timedelta(minutes=20))


def test_fifty_fans_racing_for_the_last_ten_seats_get_exactly_ten():
    sector = build_sector(["SSSSXSSSXSSS", "SXXSSSXSSSSS", "SSSXXSSSXSXS", "SSSSSSSXSSSS"])
    assert sector.inventory.filter(status=SeatStatus.AVAILABLE).count() == 10

    results = run_together(50, lambda i: allocate(match=sector.match, sectors=[sector],
                                                    quantity=1, hold=hold(i)))

    won = [r for r in results if not isinstance(r, Conflict)]
    assert len(won) == 10
    assert all(r.code == "not_enough_seats" for r in results if isinstance(r, Conflict))
    seats = [seat for r in won for seat in r.inventory_ids]
    assert len(seats) == len(set(seats)) == 10
    assert sector.inventory.filter(status=SeatStatus.RESERVED).count() == 10
    owners = Counter(sector.inventory.filter(status=SeatStatus.RESERVED)
                     .values_list("hold_owner", flat=True))
    assert set(owners.values()) == {1}
    assert SeatAuditLog.objects.filter(to_status=SeatStatus.RESERVED).count() == 10


def test_groups_racing_for_a_sector_never_share_a_seat_or_oversell():
    sector = build_sector(["X" * 12] * 5)  # 60 seats

    results = run_together(50, lambda i: allocate(match=sector.match, sectors=[sector],
                                                    quantity=1 + i % 4, hold=hold(i)))

    won = [r for r in results if not isinstance(r, Conflict)]
    seats = [seat for r in won for seat in r.inventory_ids]
    assert len(seats) == len(set(seats))
    assert sum(r.quantity for r in won) == len(seats) <= 60
    held = SeatInventory.objects.filter(match_sector=sector, status=SeatStatus.RESERVED)
    assert held.count() == len(seats)
    for result in won:  # every seat belongs to the group that was told it got it
        assert set(held.filter(hold_owner=f"cart:{results.index(result)}")
                   .values_list("id", flat=True)) == set(result.inventory_ids)


def test_an_admin_blocking_seats_during_a_rush_never_blocks_a_held_seat():
    sector = build_sector(["X" * 10] * 4)
    ids = list(sector.inventory.values_list("id", flat=True))

    def work(index):
        if index == 0:
            return seats_transition(inventory_ids=ids, to_status=SeatStatus.BLOCKED,
                                    reason="camera platform", skip_held=True)
        return allocate(match=sector.match, sectors=[sector], quantity=2, hold=hold(index))

    results = run_together(16, work)

    blocked = results[0]
    held = set(SeatInventory.objects.filter(match_sector=sector, status=SeatStatus.RESERVED)
               .values_list("id", flat=True))
    assert held.isdisjoint(blocked.changed)
    assert len(held) + len(blocked.changed) == 40
    assert {s["id"] for s in blocked.skipped} == held
