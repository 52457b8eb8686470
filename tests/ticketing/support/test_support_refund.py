"""E10-F3: POST /api/admin/orders/<id>/refund-request. Only the purchaser may ask (the agent
checks who is calling); more than 48 hours before kick-off the refund is made at once with no
reason; within 48 hours a reason is required, and above the high-value threshold a Supervisor
approves or rejects it, in the API and in Django Admin. The refund is the one refund service's."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from payments.models import Refund, RefundSource, RefundStatus
from tests.assertions import assert_error
from tests.ticketing.test_checkout import BUYER_OIB, valid_oib
from ticketing.models import Ticket, TicketStatus
from ticketing.support.models import RefundRequestStatus, SupportRefundRequest

pytestmark = pytest.mark.django_db


def ask(client, order, capture=None, **body):
    body = {"requester_name": "Fan Kovač", "requester_email": order.buyer.email,
            "identity_verified": True, "identity_document": "ORDER_DETAILS"} | body
    url = f"/api/admin/orders/{order.pk}/refund-request"
    if capture is None:
        return client.post(url, body, format="json")
    with capture(execute=True):
        return client.post(url, body, format="json")


def test_more_than_48_hours_ahead_it_is_refunded_at_once_without_a_reason(
        agent, paid, django_capture_on_commit_callbacks):
    order = paid(2)

    response = ask(agent, order, django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["amount"], body["within_cutoff"]) == (
        "PROCESSED", "80.00", False)
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.source, refund.requested_by_id) == (
        RefundStatus.COMPLETED, Decimal("80.00"), RefundSource.SUPPORT, agent.user.pk)
    assert body["refund"] == refund.pk
    assert set(order.tickets.values_list("status", flat=True)) == {TicketStatus.REFUNDED}
    row = SupportRefundRequest.objects.get()
    assert (row.requester_name, row.identity_document, row.agent_id) == (
        "Fan Kovač", "ORDER_DETAILS", agent.user.pk)
    assert AuditEvent.objects.filter(action="support_refund.requested").exists()


def test_within_48_hours_a_reason_is_required(agent, paid, soon):
    order = paid(2)
    soon(30)

    body = assert_error(ask(agent, order), 422, "reason_required")

    assert "reason" in body["fields"]
    assert not Refund.objects.exists() and not SupportRefundRequest.objects.exists()
    response = ask(agent, order, reason="injured, cannot come", ticket_ids=[
        order.tickets.order_by("pk").first().pk])
    assert response.status_code == 201 and response.json()["status"] == "PROCESSED"
    assert response.json()["amount"] == "40.00"  # under the threshold: no approval


def test_within_48_hours_a_high_value_refund_waits_for_a_supervisor(
        agent, supervisor, paid, soon, settings, django_capture_on_commit_callbacks):
    settings.SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    order = paid(2)
    soon(30)

    pending = ask(agent, order, reason="family emergency").json()

    assert pending["status"] == "PENDING_APPROVAL" and pending["refund"] is None
    assert not Refund.objects.exists()
    assert_error(ask(agent, order, reason="again"), 409, "refund_request_pending")
    assert set(order.tickets.values_list("status", flat=True)) == {TicketStatus.VALID}
    assert_error(agent.post(f"/api/admin/support/refund-requests/{pending['id']}/approve"),
                 403, "forbidden")

    with django_capture_on_commit_callbacks(execute=True):
        approved = supervisor.post(f"/api/admin/support/refund-requests/{pending['id']}/approve")

    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["decided_by"]) == (
        "APPROVED", supervisor.user.pk)
    assert Refund.objects.get().status == RefundStatus.COMPLETED
    assert set(order.tickets.values_list("status", flat=True)) == {TicketStatus.REFUNDED}
    assert_error(supervisor.post(f"/api/admin/support/refund-requests/{pending['id']}/approve"),
                 409, "refund_request_decided")


def test_a_rejected_request_leaves_the_tickets_valid(agent, supervisor, paid, soon, settings):
    settings.SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    order = paid(2)
    soon(30)
    pending = ask(agent, order, reason="changed my mind").json()
    url = f"/api/admin/support/refund-requests/{pending['id']}/reject"

    assert_error(supervisor.post(url, {}, format="json"), 422, "note_required")
    rejected = supervisor.post(url, {"note": "no grounds within 48 hours"}, format="json")

    assert rejected.json()["status"] == "REJECTED"
    assert not Refund.objects.exists()
    assert set(order.tickets.values_list("status", flat=True)) == {TicketStatus.VALID}


def test_a_supervisor_does_not_approve_their_own_request(supervisor, paid, soon, settings):
    settings.SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    order = paid(2)
    soon(30)
    pending = ask(supervisor, order, reason="ill").json()

    assert_error(supervisor.post(f"/api/admin/support/refund-requests/{pending['id']}/approve"),
                 403, "self_approval")


def test_only_the_purchaser_may_ask(agent, paid):
    order = paid(2)

    assert_error(ask(agent, order, requester_email="someone.else@example.com"), 403,
                 "not_purchaser")
    assert_error(ask(agent, order, requester_email="", requester_oib=valid_oib(31)), 403,
                 "not_purchaser")
    assert_error(ask(agent, order, identity_verified=False), 422, "identity_not_verified")
    assert_error(ask(agent, order, requester_email=""), 422, "requester_required")
    assert not SupportRefundRequest.objects.exists()
    response = ask(agent, order, requester_email="", requester_oib=BUYER_OIB)
    assert response.status_code == 201, response.content
    assert SupportRefundRequest.objects.get().requester_oib_masked.endswith(BUYER_OIB[-4:])


def test_tickets_not_valid_or_not_in_the_order_are_named(agent, paid):
    order = paid(2)
    first = order.tickets.order_by("pk").first()
    Ticket.objects.filter(pk=first.pk).update(status=TicketStatus.REFUNDED)

    body = assert_error(ask(agent, order, ticket_ids=[first.pk, 999999]), 422,
                        "ticket_not_refundable")
    assert str(first.pk) in body["detail"] and "999999" in body["detail"]
    assert_error(agent.post("/api/admin/orders/999999/refund-request", {
        "requester_name": "x", "requester_email": "a@b.hr", "identity_verified": True,
        "identity_document": "ID_CARD"}, format="json"), 404, "order_not_found")


def test_a_supervisor_approves_in_django_admin(
        client, agent, supervisor, paid, soon, settings, django_capture_on_commit_callbacks):
    settings.SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    order = paid(2)
    soon(30)
    ask(agent, order, reason="hospital")
    row = SupportRefundRequest.objects.get()
    url = reverse("admin:support_supportrefundrequest_changelist")

    client.force_login(agent.user)
    page = client.get(url)
    assert page.status_code == 200 and b"Approve and refund" not in page.content

    client.force_login(supervisor.user)
    assert b"Approve and refund" in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "approve", "_selected_action": [row.pk]})

    row.refresh_from_db()
    assert row.status == RefundRequestStatus.APPROVED and row.refund is not None
    assert set(order.tickets.values_list("status", flat=True)) == {TicketStatus.REFUNDED}


def test_fans_cannot_ask_or_decide(buyer, paid):
    order = paid(1)
    assert ask(buyer, order).status_code == 403
    assert buyer.get("/api/admin/support/refund-requests").status_code == 403
    assert buyer.post("/api/admin/support/refund-requests/1/approve").status_code == 403


def test_small_refunds_within_48_hours_add_up_against_the_threshold(
        agent, paid, soon, settings, django_capture_on_commit_callbacks):
    settings.SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    order = paid(2)
    first, second = order.tickets.order_by("pk")
    soon(30)

    one = ask(agent, order, django_capture_on_commit_callbacks, reason="ill",
              ticket_ids=[first.pk]).json()
    two = ask(agent, order, reason="ill too", ticket_ids=[second.pk]).json()

    assert (one["status"], two["status"]) == ("PROCESSED", "PENDING_APPROVAL")  # 40 + 40 > 50


def test_the_matchs_own_cutoff_is_the_one_said(agent, paid, match, soon):
    order = paid(1)
    soon(60)
    match.refresh_from_db()
    match.after_sale_cutoff_hours = 72
    match.save(update_fields=["after_sale_cutoff_hours"])
    body = assert_error(ask(agent, order), 422, "reason_required")
    assert "less than 72 hours" in body["detail"]


def test_an_agent_cannot_approve_through_the_admin_either(
        client, agent, paid, soon, settings):
    settings.SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    order = paid(2)
    soon(30)
    ask(agent, order, reason="hospital")
    row = SupportRefundRequest.objects.get()
    client.force_login(agent.user)

    client.post(reverse("admin:support_supportrefundrequest_changelist"),
                {"action": "approve", "_selected_action": [row.pk]})

    row.refresh_from_db()
    assert row.status == RefundRequestStatus.PENDING_APPROVAL and not Refund.objects.exists()


def test_only_a_completed_order(agent, paid):
    from ticketing.models import Order, OrderStatus

    order = paid(1)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED)
    assert_error(ask(agent, order), 409, "order_not_completed")
