"""Quota claims under races, on PostgreSQL (SQLite serialises everything and would hide them):
the same seats claimed from many windows, a retraction racing the sub-recipient's claim, a
cancellation racing a payment. Nothing is sold twice, nothing is lost."""

from collections import Counter

import pytest
from django.db import transaction

from core.errors import DomainError
from payments.models import Payment, PaymentStatus
from payments.services import payment_local_complete
from quotas.models import ClaimStatus, Quota, QuotaClaim, QuotaSeat, QuotaSeatStatus, QuotaStatus
from quotas.services import cancellation, claims, subquotas
from seating.models import SeatInventory, SeatStatus
from tests.concurrency import run_together
from tests.quotas.conftest import guest, make_quota, numbered_match, seat_ids
from ticketing.models import Ticket, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HOLDER = "vip@sponsor.hr"
FRIEND = "friend@partner.hr"


def outcome(result) -> str:
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, Exception):
        raise result
    return "ok"



def test_the_same_seats_selected_from_20_windows_go_to_one_claim(make_user):
    user = make_user(HOLDER)
    quota = make_quota(numbered_match(), quantity=4, email=HOLDER)
    wanted = seat_ids(quota)[:3]

    results = run_together(20, lambda i: claims.claim_select(user=user, quota_id=quota.pk,
                                                             seat_ids=wanted))

    assert Counter(map(outcome, results)) == {"ok": 1, "seats_unavailable": 19}
    assert QuotaClaim.objects.count() == 1
    assert QuotaSeat.objects.filter(claim__isnull=False).count() == 3


def test_overlapping_claims_then_holders_never_sell_a_seat_twice(make_user):
    user = make_user(HOLDER)
    quota = make_quota(numbered_match(), quantity=6, email=HOLDER, discount_code="GR")
    ids = seat_ids(quota)
    picks = [ids[i % 5:i % 5 + 2] for i in range(12)]  # overlapping pairs

    def claim_pair(i):
        claim = claims.claim_select(user=user, quota_id=quota.pk, seat_ids=picks[i])
        claims.claim_holders(user=user, quota_id=quota.pk, claim_id=claim.pk,
                             holders=[guest(1), guest(2)])

    results = run_together(12, claim_pair)

    assert "ok" in Counter(map(outcome, results))
    sold = SeatInventory.objects.filter(quota_seats__quota=quota, status=SeatStatus.SOLD)
    tickets = Ticket.objects.all()
    assert tickets.count() == sold.count() == QuotaSeat.objects.filter(
        status=QuotaSeatStatus.SOLD).count()
    assert len({t.inventory_id for t in tickets}) == tickets.count()


@pytest.mark.parametrize("round_", range(5))
def test_a_retraction_racing_the_sub_recipients_claim_has_one_winner(make_user, round_):
    holder, friend = make_user(HOLDER), make_user(FRIEND)
    quota = make_quota(numbered_match(), quantity=4, email=HOLDER, can_create_subquotas=True)
    sub = subquotas.subquota_create(user=holder, quota_id=quota.pk, recipient_email=FRIEND,
                                    seat_ids=seat_ids(quota)[:2])

    def act(i):
        if i == 0:
            return subquotas.subquota_retract(user=holder, subquota_id=sub.pk)
        return claims.claim_select(user=friend, quota_id=sub.pk, seat_ids=seat_ids(quota)[:2])

    results = [outcome(r) for r in run_together(2, act)]

    sub.refresh_from_db()
    if results[0] == "ok":  # retracted first: the claim found nothing to claim
        assert results[1] in ("quota_not_claimable", "quota_not_found", "seats_unavailable")
        assert sub.status == QuotaStatus.RETRACTED
        assert not QuotaSeat.objects.filter(subquota=sub).exists()
        assert not QuotaClaim.objects.exists()
    else:
        assert results == ["subquota_not_retractable", "ok"]
        assert sub.status == QuotaStatus.RESERVED
        assert QuotaSeat.objects.filter(subquota=sub, claim__isnull=False).count() == 2


@pytest.mark.parametrize("round_", range(5))
def test_a_cancellation_racing_a_payment_sells_or_refunds_never_both(make_user, round_):
    holder, admin = make_user(HOLDER), make_user("admin@hns.hr")
    quota = make_quota(numbered_match(), quantity=2, email=HOLDER)
    claim = claims.claim_select(user=holder, quota_id=quota.pk, seat_ids=seat_ids(quota))
    claims.claim_holders(user=holder, quota_id=quota.pk, claim_id=claim.pk,
                         holders=[guest(1), guest(2)])
    step = claims.claim_payment(user=holder, quota_id=quota.pk, claim_id=claim.pk)

    def act(i):
        if i == 0:
            return cancellation.quota_cancel(actor=admin, quota_id=quota.pk,
                                             option="all_unused")
        with transaction.atomic():  # the webhook path: the signal runs after this commits
            return payment_local_complete(payment=step.payment)

    results = run_together(2, act)
    assert not any(isinstance(r, Exception) for r in results), results

    claim.refresh_from_db()
    payment = Payment.objects.get()
    inventory = SeatInventory.objects.filter(quota_seats__quota=quota)
    if claim.status == ClaimStatus.COMPLETED:  # paid first: the tickets stay valid
        assert Ticket.objects.count() == 2
        assert {i.status for i in inventory} == {SeatStatus.SOLD}
        assert payment.status == PaymentStatus.SUCCEEDED
    else:  # cancelled first: the seats are for sale again and the money goes back
        assert claim.status == ClaimStatus.ABANDONED
        assert not Ticket.objects.exists()
        assert {i.status for i in inventory} == {SeatStatus.AVAILABLE}
        assert payment.status == PaymentStatus.REFUNDED
    assert Quota.objects.get(pk=quota.pk).status == QuotaStatus.CANCELLED
    assert User.objects.filter(email=HOLDER).exists()
