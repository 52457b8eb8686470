"""PUT /api/admin/seats/{inventory_id}/status (E3-F2)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.roles import Role
from seating.models import SeatAuditLog, SeatInventory, SeatStatus
from seating.services.inventory import seats_transition
from tests.seating.inventory_fixtures import inventory_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def seat(db):
    return inventory_make().inventory.get(row_label="A", seat_number=1)


@pytest.fixture
def manager(api_as):
    """A Match Manager; `api` is signed in as them."""
    return api_as(Role.MATCH_MANAGER)


def put(api, seat, **body):
    return api.put(f"/api/admin/seats/{seat.id}/status", body, format="json")


def test_it_blocks_a_seat_with_a_reason_and_audits_it(api, manager, seat):
    response = put(api, seat, status="BLOCKED", reason="camera position")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "BLOCKED"
    assert body["color"] == "#555555"
    assert body["version"] == seat.version + 1
    assert body["warning"] is None
    log = SeatAuditLog.objects.get(inventory=seat)
    assert (log.from_status, log.to_status, log.reason, log.changed_by) == (
        "AVAILABLE", "BLOCKED", "camera position", manager)


def test_it_requires_a_reason(api, manager, seat):
    response = put(api, seat, status="BLOCKED", reason="")

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert put(api, seat, status="BLOCKED").json()["fields"].keys() == {"reason"}
    assert SeatInventory.objects.get(pk=seat.pk).status == SeatStatus.AVAILABLE


def test_it_refuses_a_transition_the_table_does_not_allow(api, manager, seat):
    seats_transition(inventory_ids=[seat.id], to_status=SeatStatus.SOLD, reason="order 1")

    response = put(api, seat, status="TECHNICAL", reason="broken")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_transition"
    assert "SOLD" in body["detail"] and "TECHNICAL" in body["detail"]
    assert SeatInventory.objects.get(pk=seat.pk).status == SeatStatus.SOLD


def test_it_refuses_statuses_that_belong_to_sales(api, manager, seat):
    response = put(api, seat, status="SOLD", reason="by hand")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_status"


def test_it_warns_when_the_seat_was_held_in_a_cart(api, manager, seat):
    seats_transition(inventory_ids=[seat.id], to_status=SeatStatus.RESERVED, reason="cart",
                     hold_owner="cart:7", hold_until=timezone.now() + timedelta(minutes=20))

    response = put(api, seat, status="BLOCKED", reason="press box")

    assert response.status_code == 200
    assert response.json()["status"] == "BLOCKED"
    assert "cart" in response.json()["warning"]


def test_an_unknown_seat_is_404(api, manager, seat):
    response = api.put("/api/admin/seats/999999/status", {"status": "BLOCKED", "reason": "x"},
                       format="json")

    assert response.status_code == 404


def test_it_is_for_match_managers_only(api, make_user, seat):
    assert put(api, seat, status="BLOCKED", reason="x").status_code == 401
    api.force_authenticate(make_user(roles=[Role.SUPPORT_AGENT]))
    assert put(api, seat, status="BLOCKED", reason="x").status_code == 403
