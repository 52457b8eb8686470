"""Fixtures for the import, admin and masquerade tests: numbered matches with two small priced
sectors (A: 3 rows of 6, B: 2 rows of 4), a Quota Manager and CSV helpers."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.roles import Role
from quotas.services.creation import QuotaRequest, quota_create
from seating.models import MatchStatus, MatchType
from tests.seating.factories import make_match, make_price_category
from tests.seating.layouts import build_sector

SECTOR_A_SEATS = 18
SECTOR_B_SEATS = 8


def small_match(**fields):
    match = make_match(**{"status": MatchStatus.PUBLISHED, "match_type": MatchType.HOME,
                          **fields})
    category = make_price_category(match=match, name="East", price=Decimal("40.00"))
    for code, picture in (("A", ["XXXXXX"] * 3), ("B", ["XXXX"] * 2)):
        sector = build_sector(picture, match=match, code=code)
        sector.price_category = category
        sector.save(update_fields=["price_category"])
    return match


@pytest.fixture
def import_env(settings, email_templates):
    settings.PAYMENTS_PROVIDER = "local"


@pytest.fixture
def match_a(db, import_env):
    return small_match(away_team="France")


@pytest.fixture
def match_b(db, import_env):
    return small_match(away_team="Italy")


@pytest.fixture
def quota_manager(make_user):
    return make_user("quotas-import@hns.hr", roles=[Role.QUOTA_MANAGER])


@pytest.fixture
def admin_client_qm(quota_manager):
    """The Quota Manager signed in to Django Admin."""
    client = Client()
    client.force_login(quota_manager)
    return client


@pytest.fixture
def manager_api(quota_manager):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(quota_manager)
    client.user = quota_manager
    return client


def csv_bytes(*lines: str, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join(lines) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def csv_file(content: bytes, name: str = "quotas.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def quota_make(match, *, email="vip@sponsor.hr", sectors=("A",), quantity=4, actor=None,
               **fields):
    request = QuotaRequest(recipient_email=email, quantity=quantity, match_id=match.pk,
                           sector_codes=list(sectors), **fields)
    return quota_create(actor=actor, request=request).quota
