"""Petrol sales under contention, on PostgreSQL with threads: PINs racing for the last seats
promise no more than the quota has, PINs never collide, two staff confirming one PIN make one
sale, a reservation lapsing while staff confirm ends as a sale or a release (never both), and
two Match Managers creating a match's Petrol quota at once get one quota."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from core.errors import DomainError
from quotas.models import Quota, QuotaClaim, QuotaSeat, QuotaType
from quotas.petrol.models import PetrolPin, PetrolReservation, PetrolSale
from quotas.petrol.services.pins import pin_generate
from quotas.petrol.services.sales import (
    pin_lookup,
    reservation_confirm,
    reservation_verify,
    reservations_expire,
)
from seating.models import SeatInventory, SeatStatus
from tests.concurrency import run_together
from tests.quotas.conftest import complete_profile
from tests.quotas.petrol.conftest import holders, make_petrol_quota, make_staff
from tests.ticketing.test_checkout import valid_oib

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcome(result) -> str:
    return result.code if isinstance(result, DomainError) else "ok"


class FakeRequest:
    """What the services read of a request (the limits key on their own names)."""

    META = {"REMOTE_ADDR": "10.0.0.1"}
    user = None


def fans(make_user, n: int) -> list:
    users = [make_user(f"fan{i}@example.com") for i in range(n)]
    for i, user in enumerate(users):
        complete_profile(user, oib=valid_oib(3000 + i))
    return users


def test_fifty_fans_racing_for_the_last_seats_get_no_more_than_there_are(make_user, match):
    quota = make_petrol_quota(match, quantity=10)
    users = fans(make_user, 50)

    results = run_together(50, lambda i: pin_generate(user=users[i], match_id=match.pk,
                                                      holders=holders(1)),
                           max_connections=20)

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["ok"] == 10, outcomes
    assert set(outcomes) <= {"ok", "petrol_sold_out", "busy"}, outcomes
    assert PetrolPin.objects.filter(quota=quota).aggregate(n=Sum("quantity"))["n"] == 10
    pins = list(PetrolPin.objects.values_list("pin", flat=True))
    assert len(set(pins)) == len(pins) == 10


def _verified(make_user, match, station):
    fan = fans(make_user, 1)[0]
    pin = pin_generate(user=fan, match_id=match.pk, holders=holders(2))
    staff = make_staff(make_user, station).user
    counter = pin_lookup(staff=staff, pin=pin.pin, request=FakeRequest())
    reservation_verify(staff=staff, reservation_id=counter.reservation.pk)
    return pin, staff, counter.reservation


def test_two_staff_confirming_one_pin_make_one_sale(make_user, match, station):
    make_petrol_quota(match, quantity=6)
    _pin, staff, reservation = _verified(make_user, match, station)
    colleague = make_staff(make_user, station, email="colleague@ina.hr").user
    people = [staff, colleague] * 4

    results = run_together(8, lambda i: reservation_confirm(
        staff=people[i], reservation_id=reservation.pk, payment_method="CASH",
        payment_reference=f"R-{i}"))

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["ok"] == 1, results
    assert set(outcomes) <= {"ok", "reservation_over", "busy"}, results
    assert PetrolSale.objects.count() == 1
    assert SeatInventory.objects.filter(status=SeatStatus.SOLD).count() == 2


def test_a_reservation_lapsing_while_staff_confirm_is_a_sale_or_a_release(
        make_user, match, station):
    make_petrol_quota(match, quantity=14)
    rounds = Counter()
    for n in range(6):
        _pin, staff, reservation = _verified(make_user, match, station) if n == 0 else \
            _verified_again(make_user, match, station, n)
        # at the moment both start, or just after: either may come first
        past = timezone.now() + timedelta(milliseconds=30 * (n % 3))
        PetrolReservation.objects.filter(pk=reservation.pk).update(expires_at=past)
        QuotaClaim.objects.filter(pk=reservation.claim_id).update(expires_at=past)
        SeatInventory.objects.filter(hold_owner=f"claim:{reservation.claim_id}").update(
            hold_expires_at=past)

        def work(i, reservation=reservation, staff=staff):
            if i == 0:
                return reservation_confirm(staff=staff, reservation_id=reservation.pk,
                                           payment_method="CASH", payment_reference="R")
            return reservations_expire()

        results = run_together(2, work)
        sold = PetrolSale.objects.filter(reservation=reservation).exists()
        reservation.refresh_from_db()
        seats = QuotaSeat.objects.filter(claim_id=reservation.claim_id)
        if sold:
            assert reservation.status == "COMPLETED", results
            assert set(seats.values_list("status", flat=True)) == {"SOLD"}
        else:
            time.sleep(0.05)  # past the hold, whichever came first
            reservations_expire()
            reservation.refresh_from_db()
            assert reservation.status == "EXPIRED", results
            assert set(seats.values_list("status", flat=True)) <= {"ALLOCATED"}
            assert not QuotaSeat.objects.filter(claim_id=reservation.claim_id,
                                                status="SOLD").exists()
        rounds["sale" if sold else "release"] += 1
    assert sum(rounds.values()) == 6


def _verified_again(make_user, match, station, n):
    fan = make_user(f"again{n}@example.com")
    complete_profile(fan, oib=valid_oib(5000 + n))
    pin = pin_generate(user=fan, match_id=match.pk, holders=holders(1))
    staff = make_staff(make_user, station, email=f"staff{n}@ina.hr").user
    counter = pin_lookup(staff=staff, pin=pin.pin, request=FakeRequest())
    reservation_verify(staff=staff, reservation_id=counter.reservation.pk)
    return pin, staff, counter.reservation


def test_two_match_managers_creating_a_petrol_quota_at_once_get_one(make_user, match):
    results = run_together(2, lambda i: make_petrol_quota(match, quantity=2))

    assert sorted(outcome(r) for r in results) == ["ok", "petrol_quota_exists"], results
    assert Quota.objects.filter(quota_type=QuotaType.PETROL).count() == 1
