"""Support's decisions under contention, on PostgreSQL with threads: supervisors approving one
refund request at once make one refund; agents approving one transfer request at once make one
transfer."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.roles import Role
from payments.models import Refund
from tests.concurrency import run_together
from tests.ticketing.aftersale.test_after_sale_concurrency import (  # noqa: F401 (fixtures)
    bought,
    local_payments,
    outcome,
    shop,
)
from tests.ticketing.aftersale.test_transfer import new_holder
from tests.ticketing.test_checkout import buyer_profile
from ticketing.aftersale.models import TransferLog
from ticketing.support.models import RefundRequestStatus, TransferRequestStatus
from ticketing.support.services.refunds import refund_request, refund_request_approve
from ticketing.support.services.transfers import transfer_request, transfer_request_approve

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_approvals_of_one_refund_request_make_one_refund(make_user, shop, settings):  # noqa: F811
    settings.SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    match, _ = shop
    buyer = make_user()
    buyer_profile(buyer)
    order = bought(buyer, shop, 2)
    match.kick_off_time = timezone.now() + timedelta(hours=20)
    match.save(update_fields=["kick_off_time"])
    agent = make_user(roles=[Role.SUPPORT_AGENT])
    asked = refund_request(agent=agent, order_id=order.pk, ticket_ids=None, reason="ill",
                           requester_name="Fan", requester_email=buyer.email,
                           requester_oib="", identity_verified=True,
                           identity_document="ID_CARD")
    assert asked.status == RefundRequestStatus.PENDING_APPROVAL
    supervisors = [make_user(roles=[Role.SUPERVISOR]) for _ in range(8)]

    results = run_together(8, lambda i: refund_request_approve(request_id=asked.pk,
                                                               actor=supervisors[i]))

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["ok"] == 1, results
    assert set(outcomes) <= {"ok", "refund_request_decided", "busy"}, results
    assert Refund.objects.count() == 1
    order.payment.refresh_from_db()
    assert order.payment.refunded_amount == Decimal("80.00")


def test_agents_approving_one_transfer_request_at_once_transfer_it_once(make_user, shop):  # noqa: F811
    buyer = make_user()
    buyer_profile(buyer)
    ticket = bought(buyer, shop, 1).tickets.get()
    agents = [make_user(roles=[Role.SUPPORT_AGENT]) for _ in range(8)]
    asked = transfer_request(agent=agents[0], ticket_id=ticket.pk, requested_by_name="Fan",
                             requested_by_contact="fan@example.com", holder=new_holder(),
                             reason="no app", complete=False)

    results = run_together(8, lambda i: transfer_request_approve(request_id=asked.pk,
                                                                 actor=agents[i]))

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["ok"] == 1, results
    assert set(outcomes) <= {"ok", "transfer_request_decided", "busy"}, results
    assert TransferLog.objects.count() == 1
    asked.refresh_from_db()
    assert asked.status == TransferRequestStatus.COMPLETED


def test_a_support_transfer_racing_a_refund_of_the_ticket_never_deadlocks(make_user, shop):  # noqa: F811
    from tests.ticketing.test_checkout import valid_oib
    from ticketing.aftersale.services.refunds import order_refund

    agent, supervisor = make_user(roles=[Role.SUPPORT_AGENT]), make_user(roles=[Role.SUPERVISOR])
    for n in range(5):
        buyer = make_user()
        buyer_profile(buyer, oib=valid_oib(8100 + n))
        ticket = bought(buyer, shop, 1).tickets.get()
        holder = new_holder(oib=valid_oib(8200 + n), email=f"h{n}@example.com")

        def work(i, ticket=ticket, holder=holder):
            if i == 0:
                return transfer_request(agent=agent, ticket_id=ticket.pk,
                                        requested_by_name="Fan", requested_by_contact="x",
                                        holder=holder, reason="no app")
            return order_refund(order_id=ticket.order_id, ticket_ids=[ticket.pk],
                                reason="race", actor=supervisor)

        outcomes = sorted(outcome(r) for r in run_together(2, work))
        assert "busy" not in outcomes and "ok" in outcomes, outcomes
