"""E12-F2 and E12-F3 through the API: staff look up a PIN (its seats RESERVED 20 minutes from
the Petrol quota), check the fan's identity, take cash or card and confirm: an order with
tickets, a push to the fan's app, the sale recorded, the amount owed by the petrol partner.
Reservations lapse by themselves or are cancelled at once; wrong PINs are limited."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditEvent, PushLog
from core.roles import Role
from payments.models import Debt
from quotas.models import ClaimStatus, QuotaClaim, QuotaSeat, QuotaSeatStatus
from quotas.petrol.models import (
    PetrolPin,
    PetrolReservation,
    PetrolSale,
    PinStatus,
    ReservationStatus,
)
from quotas.petrol.services.sales import reservations_expire
from seating.models import SeatInventory, SeatStatus
from tests.assertions import assert_error
from tests.quotas.petrol.conftest import PARTNER, client_of, make_staff, pin_of
from ticketing.models import OrderSource, Ticket

pytestmark = pytest.mark.django_db
PORTAL = "/api/petrol-portal"


def lookup(staff, pin):
    return staff.get(f"{PORTAL}/pins/{pin}")


def confirm(staff, pin, **body):
    body = {"payment_method": "CASH", "payment_reference": "R-1001"} | body
    return staff.post(f"{PORTAL}/pins/{pin}/confirm", body, format="json")


def test_a_lookup_shows_the_fan_and_reserves_the_seats_for_20_minutes(
        staff, fan, match, petrol_quota):
    pin = pin_of(fan, match, 2)["pin"]

    response = lookup(staff, pin)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer"]["email"] == "fan@example.com" and body["status"] == "RESERVED"
    assert [h["name"] for h in body["holders"]] == ["Ana Horvat", "Guest1 Gost"]
    assert body["holders"][0]["oib"] == "*******1530"
    assert len(body["seats"]) == 2 and body["total_amount"] == "84.80"
    reservation = PetrolReservation.objects.get()
    minutes = (reservation.expires_at - reservation.reserved_at).total_seconds() / 60
    assert abs(minutes - 20) < 1
    seats = SeatInventory.objects.filter(hold_owner=reservation.claim.hold_owner)
    assert {s.status for s in seats} == {SeatStatus.RESERVED} and seats.count() == 2
    assert lookup(staff, pin).json()["reservation_id"] == reservation.pk  # the same one


def test_confirming_sells_the_tickets_to_the_fan_and_records_the_debt(
        staff, fan, match, petrol_quota):
    pin = pin_of(fan, match, 2)["pin"]
    reservation_id = lookup(staff, pin).json()["reservation_id"]

    assert_error(confirm(staff, pin), 409, "identity_not_verified")
    verified = staff.post(f"{PORTAL}/reservations/{reservation_id}/verify-identity")
    assert verified.json()["status"] == "IDENTITY_VERIFIED"
    response = confirm(staff, pin, payment_method="CARD", payment_reference="slip 778")

    assert response.status_code == 201, response.content
    sale = PetrolSale.objects.get()
    assert (sale.payment_method, sale.payment_reference, sale.total_amount,
            sale.processed_by) == ("CARD", "slip 778", Decimal("84.80"), staff.user)
    order = sale.order
    assert (order.buyer, order.source, order.status) == (fan.user, OrderSource.QUOTA,
                                                         "COMPLETED")
    assert Ticket.objects.filter(order=order).count() == 2
    tickets = fan.get(f"/api/orders/{order.pk}").json()
    assert len(tickets["tickets"]) == 2  # in the fan's app
    debt = Debt.objects.get()
    assert (debt.debtor.email, debt.amount, order.debt_id) == (PARTNER, Decimal("84.80"),
                                                               debt.pk)
    assert PetrolPin.objects.get().status == PinStatus.USED
    assert PetrolReservation.objects.get().status == ReservationStatus.COMPLETED
    assert set(QuotaSeat.objects.filter(ticket__isnull=False)
               .values_list("status", flat=True)) == {QuotaSeatStatus.SOLD}
    assert PushLog.objects.filter(user=fan.user, notification_type="petrol_tickets").exists()
    assert AuditEvent.objects.filter(action="petrol_sale.completed", actor=staff.user).exists()
    assert_error(confirm(staff, pin), 404, "reservation_not_found")  # not twice
    assert_error(lookup(staff, pin), 404, "pin_not_found")  # USED


def test_cancelling_releases_the_seats_at_once(staff, fan, match, petrol_quota):
    pin = pin_of(fan, match, 2)["pin"]
    reservation_id = lookup(staff, pin).json()["reservation_id"]

    response = staff.post(f"{PORTAL}/reservations/{reservation_id}/cancel",
                          {"reason": "fan left"}, format="json")

    assert response.json()["status"] == "CANCELLED"
    assert QuotaClaim.objects.get().status == ClaimStatus.ABANDONED
    assert set(QuotaSeat.objects.values_list("status", flat=True)) == {"ALLOCATED"}
    assert set(SeatInventory.objects.filter(quota_seats__quota=petrol_quota)
               .values_list("status", flat=True)) == {SeatStatus.ALLOCATED}
    assert lookup(staff, pin).json()["status"] == "RESERVED"  # the PIN is still good


def test_a_reservation_nobody_confirms_lapses_by_itself(staff, fan, match, petrol_quota):
    pin = pin_of(fan, match, 2)["pin"]
    reservation_id = lookup(staff, pin).json()["reservation_id"]
    staff.post(f"{PORTAL}/reservations/{reservation_id}/verify-identity")
    past = timezone.now() - timedelta(seconds=1)
    PetrolReservation.objects.update(expires_at=past)
    QuotaClaim.objects.update(expires_at=past)
    SeatInventory.objects.filter(status=SeatStatus.RESERVED).update(hold_expires_at=past)

    body = assert_error(confirm(staff, pin), 409, "reservation_over")
    assert "EXPIRED" in body["detail"]
    assert reservations_expire() == 1

    assert PetrolReservation.objects.get().status == ReservationStatus.EXPIRED
    assert set(QuotaSeat.objects.values_list("status", flat=True)) == {"ALLOCATED"}
    assert not PetrolSale.objects.exists()


def test_wrong_pins_are_limited_per_staff_account_and_logged(
        staff, make_user, station, settings, fan, match, petrol_quota):
    settings.PETROL_PIN_FAILURES_PER_STAFF = "3/h"
    pin = pin_of(fan, match, 1)["pin"]
    wrong = "00000" if pin != "00000" else "11111"
    for _ in range(3):
        assert_error(lookup(staff, wrong), 404, "pin_not_found")

    refused = lookup(staff, pin)  # even the right one, until the period ends

    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["error"] == "throttled"
    assert AuditEvent.objects.filter(action="petrol_pin.lockout", actor=staff.user).exists()
    colleague = make_staff(make_user, station, email="colleague@ina.hr")
    assert lookup(colleague, pin).status_code == 200  # another account at the station


def test_wrong_pins_are_limited_per_station(staff, make_user, station, settings):
    settings.PETROL_PIN_FAILURES_PER_STATION = "2/h"
    colleague = make_staff(make_user, station, email="colleague@ina.hr")
    assert_error(lookup(staff, "12121"), 404, "pin_not_found")
    assert_error(lookup(colleague, "12122"), 404, "pin_not_found")
    assert lookup(staff, "12123").status_code == 429


def test_only_petrol_staff_at_a_station(make_user, fan, match, petrol_quota):
    pin = pin_of(fan, match, 1)["pin"]
    agent = client_of(make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT]))
    assert lookup(agent, pin).status_code == 403
    assert lookup(fan, pin).status_code == 403
    unassigned = client_of(make_user("new@ina.hr", roles=[Role.PETROL_STAFF]))
    assert_error(lookup(unassigned, pin), 403, "no_station")


def test_another_stations_reservation_is_not_found(staff, make_user, fan, match, petrol_quota):
    from quotas.petrol.models import PetrolStation

    pin = pin_of(fan, match, 1)["pin"]
    reservation_id = lookup(staff, pin).json()["reservation_id"]
    elsewhere = make_staff(make_user, PetrolStation.objects.create(code="b", name="B"),
                           email="b@ina.hr")
    assert_error(elsewhere.post(f"{PORTAL}/reservations/{reservation_id}/cancel"), 404,
                 "reservation_not_found")
    assert_error(lookup(elsewhere, pin), 409, "pin_elsewhere")


def test_the_sweep_task_expires_reservations_and_pins(staff, fan, match, petrol_quota):
    from quotas.petrol.tasks import petrol_expire

    pin = pin_of(fan, match, 1)["pin"]
    lookup(staff, pin)
    past = timezone.now() - timedelta(seconds=1)
    PetrolReservation.objects.update(expires_at=past)
    QuotaClaim.objects.update(expires_at=past)
    PetrolPin.objects.update(expires_at=past)

    assert petrol_expire.delay().get() == {"reservations": 1, "pins": 1}
    assert PetrolPin.objects.get().status == PinStatus.EXPIRED
