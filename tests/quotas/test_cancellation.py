"""E7-F7: DELETE /api/admin/quotas/{id}?option=all_unused|unfulfilled_only cancels unused seats
back to the inventory (AVAILABLE), keeps SOLD tickets valid, and tells the holder."""

import pytest

from core.models import EmailLog
from quotas.models import ClaimStatus, Quota, QuotaClaim, QuotaSeat, QuotaSeatStatus, QuotaStatus
from seating.models import GeneralAdmissionHold, SeatInventory, SeatStatus
from seating.services.allocation import ga_available
from tests.quotas.conftest import guest, make_quota, seat_ids
from tests.quotas.test_claims import BASE, holders, select
from ticketing.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db



@pytest.fixture
def quota(match):
    return make_quota(match, quantity=6)


@pytest.fixture
def in_three_states(holder, quota):
    """2 SOLD (free claim), 2 RESERVED (holders saved, not paid), 2 ALLOCATED."""
    Quota.objects.filter(pk=quota.pk).update(discount_percent=100)
    select(holder, quota, seat_ids(quota)[:2])
    holders(holder, quota, [guest(1), guest(2)])
    Quota.objects.filter(pk=quota.pk).update(discount_percent=0)
    select(holder, quota, seat_ids(quota)[2:4])
    holders(holder, quota, [guest(3), guest(4)])
    return quota


def cancel(manager, quota, option):
    return manager.delete(f"/api/admin/quotas/{quota.pk}?option={option}")


def statuses(quota):
    return sorted(QuotaSeat.objects.filter(quota=quota).values_list("status", flat=True))


def test_all_unused_cancels_allocated_and_reserved(manager, in_three_states):
    quota = in_three_states

    response = cancel(manager, quota, "all_unused")

    assert response.status_code == 200, response.content
    assert response.json()["cancelled_seats"] == 4 and response.json()["kept"] == {"SOLD": 2}
    assert statuses(quota) == ["CANCELLED"] * 4 + ["SOLD"] * 2
    returned = SeatInventory.objects.filter(quota_seats__quota=quota,
                                            quota_seats__status=QuotaSeatStatus.CANCELLED)
    assert {i.status for i in returned} == {SeatStatus.AVAILABLE}
    assert {i.hold_owner for i in returned} == {""}
    assert Ticket.objects.filter(status=TicketStatus.VALID).count() == 2
    assert QuotaClaim.objects.filter(status=ClaimStatus.ABANDONED).count() == 1
    quota.refresh_from_db()
    assert quota.status == QuotaStatus.CANCELLED and quota.cancellation_type == "ALL_UNUSED"


def test_unfulfilled_only_cancels_only_allocated(manager, holder, in_three_states,
                                                 django_capture_on_commit_callbacks):
    quota = in_three_states

    response = cancel(manager, quota, "unfulfilled_only")

    assert response.json()["cancelled_seats"] == 2
    assert statuses(quota) == ["CANCELLED"] * 2 + ["RESERVED"] * 2 + ["SOLD"] * 2
    # the claim already under way may still finish
    from tests.quotas.test_claims import pay
    assert pay(holder, quota, django_capture_on_commit_callbacks)["payment_status"] == "PAID"
    assert statuses(quota) == ["CANCELLED"] * 2 + ["SOLD"] * 4


def test_the_holder_is_notified(manager, quota):
    cancel(manager, quota, "all_unused")
    log = EmailLog.objects.get(template_key="quota_cancellation")
    assert log.recipient_email == quota.recipient_email
    assert log.variables_json["cancelled_count"] == 6


def test_cancelled_seats_are_on_public_sale_again(manager, quota):
    cancel(manager, quota, "all_unused")
    from seating.services.allocation import Hold, allocate

    taken = allocate(match=quota.match, quantity=18, hold=Hold(owner="cart:1"),
                     sectors=[quota.seats.first().match_sector])
    assert len(taken.inventory_ids) == 18


def test_delegated_seats_are_cancelled_with_their_subquota(manager, holder, match):
    quota = make_quota(match, quantity=3, can_create_subquotas=True)
    sub_id = holder.post(f"{BASE}/{quota.pk}/subquotas", {
        "recipient_email": "f@x.hr", "seat_ids": seat_ids(quota)[:2]}, format="json").json()["id"]

    cancel(manager, quota, "unfulfilled_only")

    assert Quota.objects.get(pk=sub_id).status == QuotaStatus.CANCELLED
    assert statuses(quota) == ["CANCELLED"] * 3


def test_a_non_numbered_quota_gives_its_places_back(manager, ga_match):
    quota = make_quota(ga_match, sectors=("G",), quantity=5)
    hold = GeneralAdmissionHold.objects.get(owner=f"quota:{quota.pk}")

    cancel(manager, quota, "all_unused")

    assert ga_available(hold.match_sector) == 50


@pytest.mark.parametrize(("option", "status"), [("", 422), ("everything", 422)])
def test_a_missing_or_unknown_option_is_refused(manager, quota, option, status):
    response = cancel(manager, quota, option)
    assert response.status_code == status and "option" in response.json()["fields"]
    assert statuses(quota) == ["ALLOCATED"] * 6


def test_cancelling_twice_is_a_conflict_and_fans_cannot_cancel(manager, login, quota):
    assert cancel(manager, quota, "all_unused").status_code == 200
    assert cancel(manager, quota, "all_unused").status_code == 409
    assert cancel(login("fan@x.hr"), quota, "all_unused").status_code == 403
