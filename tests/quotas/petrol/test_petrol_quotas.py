"""E12-F4: the match's Petrol quota, made and cancelled by a Match Manager at
/api/admin/petrol/quotas, its flags forced, one live per match, its station QR code decoding to
hns://petrol-sales/<id>; the generic quota endpoints list it but refuse to make or change it."""

import io

import pytest
from django.utils import timezone
from PIL import Image

from core.models import AuditEvent
from core.roles import Role
from quotas.models import Quota, QuotaStatus, QuotaType
from quotas.petrol.models import PetrolPin, PinStatus
from seating.models import ConfigStatus, MatchSector
from tests.assertions import assert_error
from tests.quotas.petrol.conftest import (
    PARTNER,
    client_of,
    make_petrol_quota,
    pin_of,
    qr_text_png,
    qr_text_svg,
)

pytestmark = pytest.mark.django_db
URL = "/api/admin/petrol/quotas"


def create(client, match, **body):
    sector = MatchSector.objects.get(match=match, code="A")
    body = {"match_id": match.pk, "quantity": 6, "recipient_email": PARTNER,
            "recipient_name": "INA d.d.", "sector_ids": [sector.pk]} | body
    return client.post(URL, body, format="json")


def test_a_petrol_quota_has_its_flags_forced(match_manager, match):
    response = create(match_manager, match)

    assert response.status_code == 201, response.content
    body = response.json()
    quota = Quota.objects.get(pk=body["id"])
    assert (quota.quota_type, quota.deferred_payment, quota.can_create_subquotas,
            quota.transfer_allowed, quota.auto_send_email) == (
        QuotaType.PETROL, True, False, False, False)
    assert quota.seats.count() == 6
    assert body["deeplink"] == f"hns://petrol-sales/{quota.pk}"
    assert body["quota_type"] == "PETROL"
    event = AuditEvent.objects.get(action="quota.created", object_id=str(quota.pk))
    assert (event.actor_id, event.after["match_id"], event.after["quota_type"]) == (
        match_manager.user.pk, match.pk, "PETROL")


def test_the_match_must_exist_and_have_its_stadium_configured(match_manager, match):
    assert_error(create(match_manager, match, match_id=999999), 422, "match_not_found")
    match.stadium_config_status = ConfigStatus.DRAFT
    match.save(update_fields=["stadium_config_status"])
    assert_error(create(match_manager, match), 422, "stadium_not_configured")


def test_one_live_petrol_quota_per_match(match_manager, match):
    first = create(match_manager, match).json()
    assert_error(create(match_manager, match, quantity=2), 409, "petrol_quota_exists")

    match_manager.post(f"{URL}/{first['id']}/cancel", {"option": "all_unused"}, format="json")
    assert create(match_manager, match, quantity=2).status_code == 201  # after cancelling


def test_only_match_managers(make_user, fan, match):
    quota_manager = client_of(make_user("q@hns.hr", roles=[Role.QUOTA_MANAGER]))
    assert create(quota_manager, match).status_code == 403
    assert create(fan, match).status_code == 403
    assert fan.get(URL).status_code == 403


def test_list_filters_and_detail(match_manager, match, petrol_quota):
    listed = match_manager.get(URL, {"match_id": match.pk}).json()
    assert [q["id"] for q in listed["results"]] == [petrol_quota.pk]
    assert match_manager.get(URL, {"status": "CANCELLED"}).json()["results"] == []
    assert match_manager.get(URL, {"deferred_status": "OPEN"}).json()["results"] == []
    assert len(match_manager.get(URL, {"deferred_status": "SETTLED"}).json()["results"]) == 1
    today = timezone.localdate(petrol_quota.created_at).isoformat()  # the filter is local
    assert len(match_manager.get(URL, {"created_from": today, "created_to": today}
                                 ).json()["results"]) == 1
    assert_error(match_manager.get(URL, {"created_from": "yesterday"}), 400, "invalid")
    detail = match_manager.get(f"{URL}/{petrol_quota.pk}").json()
    assert detail["deeplink"] == f"hns://petrol-sales/{petrol_quota.pk}"
    assert_error(match_manager.get(f"{URL}/999999"), 404, "petrol_quota_not_found")


def test_the_station_qr_codes_decode_to_the_deeplink(match_manager, petrol_quota):
    png = match_manager.get(f"{URL}/{petrol_quota.pk}/qr.png")
    svg = match_manager.get(f"{URL}/{petrol_quota.pk}/qr.svg")

    assert png["Content-Type"] == "image/png" and svg["Content-Type"] == "image/svg+xml"
    width, height = Image.open(io.BytesIO(png.content)).size
    assert width >= 600 and height >= 600
    assert qr_text_png(png.content) == f"hns://petrol-sales/{petrol_quota.pk}"
    assert qr_text_svg(svg.content) == f"hns://petrol-sales/{petrol_quota.pk}"
    assert match_manager.get(f"{URL}/{petrol_quota.pk}/qr.gif").status_code == 404


def test_cancel_goes_through_the_quota_cancellation_and_ends_the_pins(
        match_manager, match, petrol_quota, fan):
    pin_of(fan, match)

    response = match_manager.post(f"{URL}/{petrol_quota.pk}/cancel",
                                  {"option": "all_unused"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["cancelled_seats"] == 6
    petrol_quota.refresh_from_db()
    assert petrol_quota.status == QuotaStatus.CANCELLED
    assert PetrolPin.objects.get().status == PinStatus.CANCELLED
    assert AuditEvent.objects.filter(action="petrol_quota.cancelled",
                                     actor=match_manager.user).exists()
    assert_error(match_manager.post(f"{URL}/{petrol_quota.pk}/cancel", {"option": "x"},
                                    format="json"), 400, "invalid")


def test_the_generic_quota_endpoints_list_petrol_quotas_but_never_change_them(
        make_user, match, petrol_quota):
    quotas = client_of(make_user("q@hns.hr", roles=[Role.QUOTA_MANAGER]))

    listed = quotas.get("/api/admin/quotas", {"match_id": match.pk}).json()["results"]
    assert [(q["id"], q["quota_type"]) for q in listed] == [(petrol_quota.pk, "PETROL")]
    body = assert_error(quotas.post("/api/admin/quotas", {
        "match_id": match.pk, "recipient_email": "x@y.hr", "quantity": 1,
        "quota_type": "PETROL"}, format="json"), 422, "petrol_quota")
    assert "/api/admin/petrol/quotas" in body["detail"]
    assert_error(quotas.delete(f"/api/admin/quotas/{petrol_quota.pk}?option=all_unused"),
                 422, "petrol_quota")
    petrol_quota.refresh_from_db()
    assert petrol_quota.status == QuotaStatus.ACTIVE


def test_a_petrol_quota_takes_its_seats_through_the_allocation_service(match):
    quota = make_petrol_quota(match, quantity=3)
    seats = list(quota.seats.select_related("inventory").order_by("id"))
    assert {s.inventory.status for s in seats} == {"ALLOCATED"}
    assert {s.inventory.hold_owner for s in seats} == {f"quota:{quota.pk}"}
