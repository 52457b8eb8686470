"""Quota fixtures: a numbered HOME match with two priced sectors, a standing AWAY match, a
Quota Manager's API client and a quota maker that goes through the real service."""

import re
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.roles import Role
from quotas.services.creation import QuotaRequest, quota_create
from seating.models import MatchStatus, MatchType
from tests.quotas.fixtures_import import (  # noqa: F401  the import, admin and masquerade tests'
    admin_client_qm,
    import_env,
    manager_api,
    match_a,
    match_b,
    quota_manager,
)
from tests.seating.factories import make_match, make_match_sector, make_price_category
from tests.seating.layouts import build_sector
from ticketing.services.profiles import profile_create

HOLDER_EMAIL = "vip@sponsor.hr"


@pytest.fixture(autouse=True)
def _quota_env(settings, email_templates):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


def numbered_match(**fields):
    match = make_match(**{"status": MatchStatus.PUBLISHED, "match_type": MatchType.HOME,
                          **fields})
    east = make_price_category(match=match, name="East", price=Decimal("40.00"))
    west = make_price_category(match=match, name="West", price=Decimal("25.00"))
    a = build_sector(["XXXXXX", "XXXXXX", "XXXXXX"], match=match, code="A")
    b = build_sector(["XXXX", "XXXX"], match=match, code="B")
    a.price_category, b.price_category = east, west
    a.save(update_fields=["price_category"])
    b.save(update_fields=["price_category"])
    return match


def standing_match(**fields):
    match = make_match(**{"status": MatchStatus.PUBLISHED, "match_type": MatchType.AWAY,
                          "is_numbered": False, **fields})
    category = make_price_category(match=match, name="Away end", price=Decimal("30.00"))
    make_match_sector(match=match, code="G", total=50, price_category=category)
    return match


@pytest.fixture
def match(db):
    return numbered_match()


@pytest.fixture
def ga_match(db):
    return standing_match()


@pytest.fixture
def manager(make_user):
    user = make_user("quotas@hns.hr", roles=[Role.QUOTA_MANAGER])
    client = APIClient()
    client.force_login(user)
    client.user = user
    return client


def make_quota(match, *, actor=None, sectors=("A",), quantity=4, email=HOLDER_EMAIL, **fields):
    request = QuotaRequest(recipient_email=email, quantity=quantity, match_id=match.pk,
                           sector_codes=list(sectors), **fields)
    return quota_create(actor=actor, request=request).quota


def token_in(text: str) -> str:
    """The magic link's token in an email body or a link."""
    return re.search(r"/portal/magic/([\w-]+)/", text).group(1)


def seat_ids(quota, n=None) -> list[int]:
    """The quota's seat ids in allocation order (the first `n`)."""
    from quotas.models import QuotaSeat

    ids = list(QuotaSeat.objects.filter(quota=quota).order_by("id").values_list("id", flat=True))
    return ids[:n] if n else ids


@pytest.fixture
def holder(login):
    return login(HOLDER_EMAIL)


def complete_profile(user, **fields):
    data = {"first_name": "Ana", "last_name": "Horvat", "date_of_birth": date(1985, 1, 9),
            "nationality": "HR", "oib": "69435151530", "phone": "+385911234567",
            "address": "Ilica 1", "city": "Zagreb", "postal_code": "10000"} | fields
    return profile_create(user=user, data=data)


def guest(n: int = 1, **fields) -> dict:
    return {"first_name": f"Guest{n}", "last_name": "Gost", "date_of_birth": "1990-05-17",
            "nationality": "DE", "passport_number": f"C0{n:07d}"} | fields
