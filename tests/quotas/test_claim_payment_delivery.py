"""A quota claim paid by card is completed (or refunded) at least once: never released as
lapsed while its succeeded payment waits for delivery, completed by the sweep when the task
never ran (tests/payments/test_success_delivery.py has the same for orders)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.models import Payment, PaymentStatus
from payments.outcomes import payments_undelivered_sweep
from quotas.models import ClaimStatus, QuotaClaim
from quotas.tasks import claims_expire
from tests.payments.test_success_delivery import GRACE, succeed_without_delivery
from tests.quotas.conftest import make_quota
from tests.quotas.test_claims import BASE, claimed_to_holders, timeless
from ticketing.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim_paying(holder, match):
    quota = make_quota(match, quantity=2)
    claimed_to_holders(timeless(holder), quota, 2)
    claim_id = holder.post(f"{BASE}/{quota.pk}/payment", {}, format="json").json()["claim_id"]
    return QuotaClaim.objects.get(pk=claim_id)


def test_a_paid_claim_is_completed_by_the_sweep(claim_paying, api,
                                               django_capture_on_commit_callbacks):
    succeed_without_delivery(api, Payment.objects.get(), django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + GRACE), \
            django_capture_on_commit_callbacks(execute=True):
        assert payments_undelivered_sweep.delay().get() == 1

    claim_paying.refresh_from_db()
    assert claim_paying.status == ClaimStatus.COMPLETED
    assert Ticket.objects.filter(order=claim_paying.order).count() == 2


def test_a_paid_claim_is_not_released_as_lapsed_and_the_sweep_refunds_it(
        claim_paying, api, django_capture_on_commit_callbacks):
    payment = Payment.objects.get()
    succeed_without_delivery(api, payment, django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + timedelta(minutes=30)), \
            django_capture_on_commit_callbacks(execute=True):
        assert claims_expire.delay().get() == 0
        assert QuotaClaim.objects.get(pk=claim_paying.pk).status == ClaimStatus.ACTIVE
        assert payments_undelivered_sweep.delay().get() == 1

    assert QuotaClaim.objects.get(pk=claim_paying.pk).status == ClaimStatus.EXPIRED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunds.count() == 1
