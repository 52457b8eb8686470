"""E3-F4's remaining filters: GET /api/admin/seats/search by quota and by e-mail."""

import pytest

from core.roles import Role
from quotas.models import QuotaSeat
from tests.quotas.conftest import HOLDER_EMAIL, guest, make_quota
from tests.quotas.test_claims import holders, select

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user, api):
    api.force_authenticate(make_user(roles=[Role.SUPPORT_AGENT]))
    return api


def found(api, **params) -> set[int]:
    response = api.get("/api/admin/seats/search", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def inventory_of(quota) -> set[int]:
    return set(QuotaSeat.objects.filter(quota=quota).values_list("inventory_id", flat=True))


def test_seats_are_found_by_quota_and_by_recipient_email(agent, match):
    quota = make_quota(match, quantity=3)
    make_quota(match, quantity=2, email="other@firm.hr")

    assert found(agent, quota_id=quota.pk) == inventory_of(quota)
    assert found(agent, email=HOLDER_EMAIL.upper()) == inventory_of(quota)


def test_sold_seats_are_found_by_the_ticket_holders_email(agent, holder, match):
    quota = make_quota(match, quantity=2, discount_code="GR")
    select(holder, quota, sorted(QuotaSeat.objects.values_list("id", flat=True))[:1])
    holders(holder, quota, [guest(1, email="guest1@mail.hr")])
    sold = set(QuotaSeat.objects.filter(status="SOLD").values_list("inventory_id", flat=True))

    assert found(agent, email="guest1@mail.hr") == sold
    assert found(agent, email="nobody@mail.hr") == set()
