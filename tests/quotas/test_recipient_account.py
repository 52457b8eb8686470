"""A quota's recipient account: bound when the quota is addressed to an email that has one, or
when that email's account is created later; reading a quota never writes."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from quotas.models import Quota
from tests.quotas.conftest import HOLDER_EMAIL, make_quota


def test_a_quota_for_an_existing_account_is_bound_at_once(match, make_user):
    user = make_user(HOLDER_EMAIL.upper())

    quota = make_quota(match)

    assert Quota.objects.get(pk=quota.pk).recipient_user_id == user.pk


def test_a_quota_for_a_new_email_is_bound_when_its_account_is_created(match, make_user):
    quota = make_quota(match)
    assert Quota.objects.get(pk=quota.pk).recipient_user_id is None

    user = make_user(HOLDER_EMAIL)

    assert Quota.objects.get(pk=quota.pk).recipient_user_id == user.pk


def test_the_holder_reading_a_quota_writes_nothing(match, holder):
    quota = make_quota(match)
    Quota.objects.filter(pk=quota.pk).update(recipient_user=None)

    with CaptureQueriesContext(connection) as queries:
        response = holder.get(f"/api/quota-portal/quotas/{quota.pk}")

    assert response.status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(
        ("UPDATE \"QUOTAS", "INSERT INTO \"QUOTAS", "DELETE FROM \"QUOTAS"))]
    assert writes == []
    assert Quota.objects.get(pk=quota.pk).recipient_user_id is None
