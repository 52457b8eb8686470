"""The Petrol section of Django Admin (Match Manager): add the match's Petrol quota, see its
station QR code to print, cancel it; the generic Quotas list leaves Petrol quotas out."""

import pytest
from django.urls import reverse

from quotas.models import Quota, QuotaStatus, QuotaType
from seating.models import MatchSector
from tests.quotas.petrol.conftest import PARTNER, qr_text_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_mm(client, match_manager):
    client.force_login(match_manager.user)
    return client


def test_a_match_manager_adds_a_petrol_quota_and_prints_its_qr(admin_client_mm, match):
    sector = MatchSector.objects.get(match=match, code="A")
    response = admin_client_mm.post(reverse("admin:petrol_petrolquota_add"), {
        "match": match.pk, "quantity": 4, "sectors": [sector.pk],
        "recipient_email": PARTNER, "recipient_name": "INA"})

    quota = Quota.objects.get(quota_type=QuotaType.PETROL)
    assert response.status_code == 302
    page = admin_client_mm.get(reverse("admin:petrol_petrolquota_change", args=[quota.pk]))
    assert page.status_code == 200
    assert f"hns://petrol-sales/{quota.pk}".encode() in page.content
    png = admin_client_mm.get(reverse("admin:petrol_petrolquota_qr", args=[quota.pk]))
    assert qr_text_png(png.content) == f"hns://petrol-sales/{quota.pk}"

    again = admin_client_mm.post(reverse("admin:petrol_petrolquota_add"), {
        "match": match.pk, "quantity": 1, "recipient_email": PARTNER}, follow=True)
    assert b"already has a Petrol quota" in again.content


def test_a_match_manager_cancels_it_in_the_admin(admin_client_mm, petrol_quota):
    url = reverse("admin:petrol_petrolquota_cancel", args=[petrol_quota.pk])
    assert b"All unused: 6 seat(s)" in admin_client_mm.get(url).content

    admin_client_mm.post(url, {"option": "all_unused"})

    petrol_quota.refresh_from_db()
    assert petrol_quota.status == QuotaStatus.CANCELLED


def test_the_generic_quota_admin_leaves_petrol_quotas_out(client, manager, petrol_quota):
    client.force_login(manager.user)
    page = client.get(reverse("admin:quotas_quota_changelist"))
    assert page.context["cl"].result_count == 0
