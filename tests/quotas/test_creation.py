"""E7-F1: POST /api/admin/quotas creates a quota, allocates its seats at once (NM or REDOM),
takes them out of public sale (inventory ALLOCATED) and emails an invitation with deeplinks."""

from decimal import Decimal
from hashlib import sha256

import pytest

from core.models import EmailLog
from core.notifications import REDACTED
from quotas.models import MagicLink, Quota, QuotaSeat, QuotaSeatStatus, QuotaStatus
from seating.models import GeneralAdmissionHold, HoldStatus, MatchSector, SeatInventory, SeatStatus
from seating.services.allocation import ga_available
from tests.quotas.conftest import HOLDER_EMAIL, make_quota, token_in

pytestmark = pytest.mark.django_db


def create(manager, match, **fields):
    body = {"match_id": match.pk, "recipient_email": HOLDER_EMAIL, "quantity": 4,
            "sector_ids": [MatchSector.objects.get(match=match, code="A").pk]} | fields
    return manager.post("/api/admin/quotas", body, format="json")


def test_creating_a_quota_allocates_its_seats_at_once(manager, match):
    response = create(manager, match, recipient_name="Marko Sponzor", discount_code="GR",
                      can_create_subquotas=True, expires_at="2030-01-01T12:00:00Z")

    assert response.status_code == 201, response.content
    body = response.json()
    quota = Quota.objects.get(pk=body["id"])
    assert quota.status == QuotaStatus.ACTIVE and quota.discount_percent == Decimal(100)
    seats = QuotaSeat.objects.filter(quota=quota)
    assert seats.count() == 4 and {s.status for s in seats} == {QuotaSeatStatus.ALLOCATED}
    inventory = SeatInventory.objects.filter(quota_seats__quota=quota)
    assert {i.status for i in inventory} == {SeatStatus.ALLOCATED}
    assert {i.hold_owner for i in inventory} == {f"quota:{quota.pk}"}
    assert body["seated_together"] is True
    assert body["counts"]["ALLOCATED"] == 4 and len(body["seats"]) == 4


def test_nm_takes_the_best_seats_together_and_redom_takes_them_in_order(match):
    best = make_quota(match, quantity=3, algorithm="NM")
    in_order = make_quota(match, quantity=3, algorithm="REDOM", email="other@firm.hr")

    best_seats = SeatInventory.objects.filter(quota_seats__quota=best).order_by("grid_col")
    cols = [s.grid_col for s in best_seats]
    assert {s.row_label for s in best_seats} == {"A"}  # the best row
    assert cols == list(range(cols[0], cols[0] + 3)) and cols[0] in (0, 3)  # together, no orphan
    ordered = SeatInventory.objects.filter(quota_seats__quota=in_order).order_by("id")
    free_first = (SeatInventory.objects.filter(match=match, match_sector__code="A")
                  .exclude(quota_seats__quota=best).order_by("grid_row", "seat_number")[:3])
    assert set(ordered) == set(free_first)


def test_allocated_seats_are_out_of_public_sale(match):
    make_quota(match, quantity=18)  # the whole of sector A
    from seating.services.allocation import Hold, NotEnoughSeats, allocate

    with pytest.raises(NotEnoughSeats):
        allocate(match=match, quantity=1, hold=Hold(owner="cart:1", until=None),
                 sectors=[MatchSector.objects.get(match=match, code="A")])


def test_a_large_quota_spans_sectors_when_one_is_too_small(match):
    quota = make_quota(match, sectors=("B", "A"), quantity=20)  # A has 18 seats, B 8

    sectors = set(QuotaSeat.objects.filter(quota=quota).values_list("match_sector__code",
                                                                     flat=True))
    assert sectors == {"A", "B"}
    assert QuotaSeat.objects.filter(quota=quota, match_sector__code="B").count() == 8


def test_a_non_numbered_quota_allocates_by_quantity(ga_match):
    quota = make_quota(ga_match, sectors=("G",), quantity=5)

    hold = GeneralAdmissionHold.objects.get(owner=f"quota:{quota.pk}")
    assert hold.status == HoldStatus.ALLOCATED and hold.quantity == 5
    assert QuotaSeat.objects.filter(quota=quota, ga_hold=hold).count() == 5
    assert ga_available(hold.match_sector) == 45


def test_the_invitation_email_carries_a_magic_link_and_an_app_deeplink(
        manager, match, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        quota = Quota.objects.get(pk=create(manager, match).json()["id"])

    log = EmailLog.objects.get(recipient_email=HOLDER_EMAIL, template_key="quota_invitation")
    assert log.variables_json["app_link"] == f"hnstickets://quotas/{quota.pk}"
    assert log.variables_json["link"] == REDACTED  # the working link is in the email only
    [message] = mailoutbox
    token = token_in(message.body)
    link = MagicLink.objects.get(quota=quota)
    assert (link.email, link.token_hash) == (HOLDER_EMAIL, sha256(token.encode()).hexdigest())
    assert token not in str(EmailLog.objects.values().get(pk=log.pk))
    quota.refresh_from_db()
    assert quota.invitation_sent_at is not None


def test_no_email_when_auto_send_is_off(manager, match):
    create(manager, match, auto_send_email=False)
    assert not EmailLog.objects.filter(template_key="quota_invitation").exists()


def test_a_second_quota_for_the_same_email_and_match_is_flagged(manager, match):
    first = create(manager, match, quantity=2).json()
    second = create(manager, match, quantity=2).json()

    assert second["duplicate_quota_ids"] == [first["id"]]
    assert any("already has quota" in w for w in second["warnings"])


@pytest.mark.parametrize(("fields", "status", "field"), [
    ({"recipient_email": "not-an-email"}, 422, "recipient_email"),
    ({"quantity": 0}, 400, "quantity"),
    ({"quantity": 19}, 409, "quantity"),
    ({"sector_ids": [999999]}, 422, "sector_ids"),
    ({"match_id": 999999}, 404, "match_id"),
    ({"discount_code": "XX"}, 422, "discount_code"),
    ({"algorithm": "RANDOM"}, 400, "algorithm"),
])
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(manager, match, fields,
                                                                   status, field):
    response = create(manager, match, **fields)

    assert response.status_code == status, response.content
    assert field in response.json()["fields"], response.json()
    assert not Quota.objects.exists() and not QuotaSeat.objects.exists()
    assert not SeatInventory.objects.filter(status=SeatStatus.ALLOCATED).exists()


def test_only_quota_managers_may_create(make_user, match, api):
    api.force_login(make_user("fan@x.hr"))
    assert create(api, match).status_code == 403
    api.logout()
    assert create(api, match).status_code == 401


def test_the_admin_list_filters_by_match_status_and_email(manager, match):
    make_quota(match, quantity=1)
    make_quota(match, quantity=1, email="someone@else.hr")

    assert manager.get("/api/admin/quotas", {"email": "sponsor"}).json()["count"] == 1
    assert manager.get("/api/admin/quotas", {"match_id": match.pk}).json()["count"] == 2
    assert manager.get("/api/admin/quotas", {"status": "CANCELLED"}).json()["count"] == 0
