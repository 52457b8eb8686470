"""E4-F3 and the quota algorithms: the snake best-available cascade, sequential allocation,
non-numbered capacity, hold expiry. Pictures: X free, S taken, . gap, # the seats we got."""

from datetime import timedelta

import pytest
from django.utils import timezone

from seating.models import (
    GeneralAdmissionHold,
    MatchSector,
    SeatAuditLog,
    SeatInventory,
    SeatStatus,
)
from seating.services.allocation import (
    Algorithm,
    Hold,
    NotEnoughSeats,
    _geometry,
    allocate,
    holds_release,
)
from seating.services.inventory import holds_release_expired
from tests.seating.layouts import build_sector, picture_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_geometry():
    _geometry.cache_clear()


def cart(owner="cart:1", minutes=20):
    return Hold(owner=owner, until=timezone.now() + timedelta(minutes=minutes))


def take(sector, n, hold=None, **kwargs):
    allocation = allocate(match=sector.match, sectors=[sector], quantity=n,
                          hold=hold or cart(), **kwargs)
    return allocation, picture_of(sector, set(allocation.inventory_ids))


def test_it_seats_a_group_together_in_the_centre_of_the_best_row():
    sector = build_sector(["XXXXXXXXXX", "XXXXXXXXXX", "XXXXXXXXXX"], best_row=1)

    allocation, picture = take(sector, 4)

    assert picture == ["XXXXXXXXXX", "XXX####XXX", "XXXXXXXXXX"]
    assert allocation.together and not allocation.warning
    assert [s["seat"] for s in allocation.seats] == [4, 5, 6, 7]
    assert {s["row"] for s in allocation.seats} == {"B"}


def test_rows_equally_far_from_the_best_row_follow_the_traversal_direction():
    rows = ["XXXXXX", "SSSSSS", "XXXXXX"]
    top_first = build_sector(rows, best_row=1, code="T")
    bottom_first = build_sector(rows, best_row=1, code="B", traversal="BOTTOM_TO_TOP")

    assert take(top_first, 2)[1] == ["XX##XX", "SSSSSS", "XXXXXX"]
    assert take(bottom_first, 2)[1] == ["XXXXXX", "SSSSSS", "XX##XX"]


def test_it_never_seats_a_group_across_an_aisle():
    sector = build_sector(["XXX.XXX"])

    allocation, picture = take(sector, 3)

    assert picture in (["###.XXX"], ["XXX.###"])
    assert allocation.together


def test_it_prefers_a_worse_row_to_leaving_an_orphan_seat():
    sector = build_sector(["SXXXSSSS", "XXXXXXXX"])  # row A has 3: taking 2 orphans one

    _, picture = take(sector, 2)

    assert picture == ["SXXXSSSS", "XXX##XXX"]


def test_it_leaves_an_orphan_when_no_row_can_avoid_it():
    sector = build_sector(["SXXXS", "SXXXS"])

    allocation, picture = take(sector, 2)

    assert allocation.together
    assert picture == ["S##XS", "SXXXS"]


def test_it_spans_two_neighbouring_rows_when_no_row_has_room():
    sector = build_sector(["SSXXSS", "SSXXSS", "SSSSSS"])

    allocation, picture = take(sector, 4)

    assert picture == ["SS##SS", "SS##SS", "SSSSSS"]
    assert not allocation.together
    assert "two rows" in allocation.warning


def test_it_falls_back_to_single_seats_with_a_warning():
    sector = build_sector(["XSXSX", "SSSSS", "SXSXS"])

    allocation, _ = take(sector, 3)

    assert len(allocation.inventory_ids) == 3
    assert not allocation.together
    assert "apart" in allocation.warning


def test_it_refuses_clearly_when_there_are_not_enough_seats():
    sector = build_sector(["XXSS"])

    with pytest.raises(NotEnoughSeats) as error:
        take(sector, 3)

    assert error.value.status_code == 409
    assert "not 3 seats left" in error.value.detail
    assert SeatInventory.objects.filter(status=SeatStatus.RESERVED).count() == 0


def test_row_strategies_pick_the_left_or_right_end():
    left = build_sector(["XXXXXXXX"], code="L", strategy="LEFT_TO_RIGHT")
    right = build_sector(["XXXXXXXX"], code="R", strategy="RIGHT_TO_LEFT")

    assert take(left, 3)[1] == ["###XXXXX"]
    assert take(right, 3)[1] == ["XXXXX###"]


def test_subsectors_of_an_irregular_sector_never_share_a_block():
    groups = [{"name": "left", "col_from": 0, "col_to": 2},
              {"name": "right", "col_from": 3, "col_to": 6}]
    sector = build_sector(["XXXXXXX"], groups=groups)

    _, picture = take(sector, 4)

    assert picture == ["XXX####"]


def test_sequential_takes_the_first_free_seats_in_row_and_seat_order():
    sector = build_sector(["SSXX", "XXXX"], best_row=1)

    allocation, picture = take(sector, 3, algorithm=Algorithm.REDOM)

    assert picture == ["SS##", "#XXX"]
    assert not allocation.together


def test_technical_seats_are_never_allocated():
    sector = build_sector(["TXXT"])

    with pytest.raises(NotEnoughSeats):
        take(sector, 3)


def test_a_hold_records_its_owner_expiry_and_an_audit_row_per_seat(make_user):
    fan = make_user()
    sector = build_sector(["XXXXXX"])
    until = timezone.now() + timedelta(minutes=20)

    allocation, _ = take(sector, 2, hold=Hold(owner="cart:9", until=until, user=fan))

    held = SeatInventory.objects.filter(id__in=allocation.inventory_ids)
    assert {(s.status, s.hold_owner, s.held_by_id, s.hold_expires_at, s.version)
            for s in held} == {(SeatStatus.RESERVED, "cart:9", fan.id, until, 2)}
    logs = SeatAuditLog.objects.filter(inventory__in=held)
    assert {(log.from_status, log.to_status, log.hold_owner) for log in logs} == {
        (SeatStatus.AVAILABLE, SeatStatus.RESERVED, "cart:9")}
    assert logs.count() == 2


def test_an_expired_hold_is_free_at_once_without_the_sweep():
    sector = build_sector(["XXXX"])
    first, _ = take(sector, 4, hold=cart("cart:old"))
    SeatInventory.objects.filter(id__in=first.inventory_ids).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1))

    second, _ = take(sector, 4, hold=cart("cart:new"))

    assert set(second.inventory_ids) == set(first.inventory_ids)
    assert SeatAuditLog.objects.filter(reason="hold expired").count() == 4


def test_the_sweep_releases_expired_holds_and_keeps_live_ones():
    sector = build_sector(["XXXXXX"])
    live, _ = take(sector, 2, hold=cart("cart:b"))
    expired, _ = take(sector, 2, hold=cart("cart:a", minutes=-1))

    assert holds_release_expired() == 2

    statuses = dict(SeatInventory.objects.values_list("id", "status"))
    assert {statuses[i] for i in expired.inventory_ids} == {SeatStatus.AVAILABLE}
    assert {statuses[i] for i in live.inventory_ids} == {SeatStatus.RESERVED}


def test_an_abandoned_quota_claim_returns_to_allocated():
    sector = build_sector(["XXXX"])
    quota, _ = take(sector, 2, hold=Hold(owner="quota:1", status=SeatStatus.ALLOCATED))
    SeatInventory.objects.filter(id__in=quota.inventory_ids).update(
        status=SeatStatus.RESERVED, hold_owner="claim:1", release_to=SeatStatus.ALLOCATED,
        hold_expires_at=timezone.now() + timedelta(minutes=20))

    assert holds_release(owner="claim:1", reason="cart expired") == 2

    assert set(SeatInventory.objects.filter(id__in=quota.inventory_ids)
               .values_list("status", flat=True)) == {SeatStatus.ALLOCATED}


def test_quota_seats_are_allocated_without_expiry_and_leave_the_public_sale():
    sector = build_sector(["XXXX"])

    take(sector, 4, hold=Hold(owner="quota:7", status=SeatStatus.ALLOCATED))

    assert set(sector.inventory.values_list("status", "hold_expires_at")) == {
        (SeatStatus.ALLOCATED, None)}
    with pytest.raises(NotEnoughSeats):
        take(sector, 1)


def test_it_tries_the_sectors_in_the_order_given():
    first = build_sector(["SSSS"], code="A")
    second = build_sector(["XXXX"], code="B", match=first.match)

    allocation = allocate(match=first.match, sectors=[first, second], quantity=2, hold=cart())

    assert allocation.match_sector_id == second.id


# --- non-numbered sectors ---------------------------------------------------------------------

def standing_sector(capacity=10):
    numbered = build_sector(["X"], code="N")
    return MatchSector.objects.create(match=numbered.match, name="Standing", code="ST",
                                      total_capacity=capacity, sellable_capacity=capacity,
                                      is_numbered=False)


def test_a_non_numbered_sector_counts_capacity():
    sector = standing_sector(capacity=5)

    allocation = allocate(match=sector.match, sectors=[sector], quantity=3, hold=cart())
    hold = GeneralAdmissionHold.objects.get(pk=allocation.general_admission_hold_id)

    assert (hold.quantity, hold.owner, hold.status) == (3, "cart:1", "HELD")
    with pytest.raises(NotEnoughSeats):
        allocate(match=sector.match, sectors=[sector], quantity=3, hold=cart("cart:2"))
    allocate(match=sector.match, sectors=[sector], quantity=2, hold=cart("cart:3"))


def test_an_expired_standing_hold_frees_its_places_at_once():
    sector = standing_sector(capacity=4)
    allocate(match=sector.match, sectors=[sector], quantity=4, hold=cart("cart:1", minutes=-1))

    allocation = allocate(match=sector.match, sectors=[sector], quantity=4, hold=cart("cart:2"))

    assert allocation.quantity == 4


def test_releasing_a_standing_hold_gives_the_places_back():
    sector = standing_sector(capacity=2)
    allocate(match=sector.match, sectors=[sector], quantity=2, hold=cart("cart:1"))

    assert holds_release(owner="cart:1") == 2
    allocate(match=sector.match, sectors=[sector], quantity=2, hold=cart("cart:2"))


def test_the_periodic_sweep_task_releases_expired_seats_and_places():
    from seating.tasks import holds_sweep

    numbered = build_sector(["XXXX"], code="P")
    take(numbered, 2, hold=cart("cart:late", minutes=-1))
    standing = MatchSector.objects.create(match=numbered.match, name="Standing", code="ST",
                                          total_capacity=9, sellable_capacity=9,
                                          is_numbered=False)
    allocate(match=standing.match, sectors=[standing], quantity=3,
             hold=cart("cart:gone", minutes=-1))

    assert holds_sweep.delay().get() == {"seats": 2, "places": 1}
    assert GeneralAdmissionHold.objects.get().status == "RELEASED"
    assert not numbered.inventory.filter(status=SeatStatus.RESERVED).exists()


def test_a_changed_snake_config_takes_effect_without_a_restart():
    from seating.services.venues import snake_config_update

    sector = build_sector(["XXXXXXXX", "XXXXXXXX", "XXXXXXXX"], best_row=0)
    assert take(sector, 2, hold=cart("cart:1"))[1][0] == "XXX##XXX"

    snake_config_update(sector=sector.sector, data={
        "best_row_index": 2, "traversal_direction": "TOP_TO_BOTTOM",
        "within_row_strategy": "LEFT_TO_RIGHT", "subsector_grouping_json": []})

    assert take(sector, 2, hold=cart("cart:2"))[1][2] == "##XXXXXX"


# --- PostgreSQL: the server-side function -----------------------------------------------------

@pytest.mark.postgres
def test_an_allocation_is_one_round_trip_on_postgresql(django_assert_num_queries):
    sector = build_sector(["XXXXXXXX", "XXXXXXXX"])

    with django_assert_num_queries(1):
        allocation = allocate(match=sector.match, sectors=[sector], quantity=3, hold=cart())

    assert allocation.together and len(allocation.inventory_ids) == 3


@pytest.mark.postgres
def test_a_refusal_leaves_the_callers_transaction_usable():
    from django.db import transaction

    sector = build_sector(["XXSS"])

    with transaction.atomic():
        with pytest.raises(NotEnoughSeats):
            allocate(match=sector.match, sectors=[sector], quantity=3, hold=cart())
        allocation = allocate(match=sector.match, sectors=[sector], quantity=2, hold=cart())

    assert SeatInventory.objects.filter(id__in=allocation.inventory_ids,
                                        status=SeatStatus.RESERVED).count() == 2


def test_sectors_not_on_sale_are_refused():
    sector = build_sector(["XXXX"])
    MatchSector.objects.filter(pk=sector.pk).update(status="CLOSED")

    with pytest.raises(NotEnoughSeats) as error:
        take(sector, 2)

    assert "on sale" in error.value.detail


def test_without_a_sector_list_it_tries_the_sectors_in_display_order():
    first = build_sector(["SSSS"], code="A")
    second = build_sector(["XXXX"], code="B", match=first.match)
    MatchSector.objects.filter(pk=first.pk).update(display_order=0)
    MatchSector.objects.filter(pk=second.pk).update(display_order=1)

    allocation = allocate(match=first.match, quantity=2, hold=cart())

    assert allocation.match_sector_id == second.id
