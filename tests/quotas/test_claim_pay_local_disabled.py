"""The quota portal's demo payment exists only where the local provider is enabled
(PAYMENTS_LOCAL_ENABLED): otherwise `claims/{id}/pay-local` answers 404 and sells nothing."""

import pytest

from quotas.models import QuotaClaim, QuotaSeat, QuotaSeatStatus
from tests.quotas.conftest import make_quota
from tests.quotas.test_claims import BASE, claimed_to_holders

pytestmark = pytest.mark.django_db


def test_claim_pay_local_answers_404_unless_the_local_provider_is_enabled(holder, match,
                                                                          settings):
    quota = make_quota(match, quantity=2)
    claimed_to_holders(holder, quota, 2)
    started = holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json")
    assert started.status_code == 200, started.content
    settings.PAYMENTS_LOCAL_ENABLED = False

    response = holder.post(f"/api/quota-portal/claims/{started.json()['claim_id']}/pay-local")

    assert response.status_code == 404
    assert not QuotaSeat.objects.filter(status=QuotaSeatStatus.SOLD).exists()
    assert QuotaClaim.objects.get().completed_at is None
