"""E10-F2: POST /api/admin/tickets/<id>/transfer, a transfer a support agent makes for a caller:
recorded as a request (who asked, how to reach them), done through the self-service transfer
service, refused with 400 and the policy message within 48 hours of kick-off and with the MUP
message for a blacklisted holder; audited with the agent and the reason."""

import pytest

from accessctl.models import BlacklistSource, BlacklistViolation
from accessctl.services.entries import blacklist_entry_create
from core.models import AuditEvent
from tests.assertions import assert_error
from tests.ticketing.aftersale.test_transfer import NEW_OIB, new_holder
from tests.ticketing.test_checkout import valid_oib
from ticketing.aftersale.models import TransferLog, TransferType
from ticketing.models import Ticket
from ticketing.support.models import SupportTransferRequest, TransferRequestStatus

pytestmark = pytest.mark.django_db


def asked(client, ticket, **body):
    body = {"requested_by_name": "Marko Horvat", "requested_by_contact": "+385 91 123 4567",
            "holder": new_holder(), "reason": "the buyer cannot use the app"} | body
    return client.post(f"/api/admin/tickets/{ticket.pk}/transfer", body, format="json")


def test_an_agent_transfers_a_ticket_for_a_caller(agent, paid):
    ticket = paid(1).tickets.get()
    old_barcode = ticket.barcode

    response = asked(agent, ticket)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["requested_by_name"], body["new_holder_name"]) == (
        "COMPLETED", "Marko Horvat", "Ivana Babić")
    assert body["new_holder_oib"].endswith(NEW_OIB[-4:]) and NEW_OIB not in str(body)
    ticket.refresh_from_db()
    assert ticket.holder_name == "Ivana Babić" and ticket.barcode != old_barcode
    log = TransferLog.objects.get()
    assert (log.transfer_type, log.initiated_by_id, body["transfer_id"]) == (
        TransferType.SUPPORT, agent.user.pk, log.pk)
    assert "the buyer cannot use the app" in log.reason
    row = SupportTransferRequest.objects.get()
    assert (row.agent_id, row.decided_by_id, row.requested_by_contact) == (
        agent.user.pk, agent.user.pk, "+385 91 123 4567")
    assert row.completed_at is not None
    events = AuditEvent.objects.filter(actor=agent.user)
    assert {"support_transfer.requested", "support_transfer.completed",
            "ticket.transferred"} <= set(events.values_list("action", flat=True))
    done = events.get(action="support_transfer.completed")
    assert done.after["agent_id"] == agent.user.pk
    assert done.after["reason"] == "the buyer cannot use the app"


def test_a_request_may_wait_and_be_approved_or_rejected(agent, supervisor, paid):
    first, second = paid(2).tickets.order_by("pk")

    pending = asked(agent, first, complete=False).json()
    assert pending["status"] == "PENDING"
    assert Ticket.objects.get(pk=first.pk).transfer_count == 0
    listed = agent.get("/api/admin/support/transfer-requests", {"status": "PENDING"}).json()
    assert [r["id"] for r in listed["results"]] == [pending["id"]]

    url = f"/api/admin/support/transfer-requests/{pending['id']}"
    approved = supervisor.post(f"{url}/approve")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["decided_by"]) == (
        "COMPLETED", supervisor.user.pk)
    assert Ticket.objects.get(pk=first.pk).holder_name == "Ivana Babić"
    assert_error(supervisor.post(f"{url}/approve"), 409, "transfer_request_decided")

    other = asked(agent, second, complete=False, holder=new_holder(oib=valid_oib(778))).json()
    rejected = agent.post(f"/api/admin/support/transfer-requests/{other['id']}/reject",
                          {"note": "the caller could not say the order number"},
                          format="json")
    assert rejected.json()["status"] == "REJECTED"
    assert Ticket.objects.get(pk=second.pk).transfer_count == 0


def test_within_48_hours_of_kick_off_it_is_refused_with_the_policy_message(
        agent, paid, soon):
    ticket = paid(1).tickets.get()
    soon(47)

    body = assert_error(asked(agent, ticket), 400, "after_sale_closed")

    assert "48 hours before kick-off" in body["detail"]
    assert not SupportTransferRequest.objects.exists() and not TransferLog.objects.exists()


def test_a_pending_request_is_refused_once_the_cutoff_passes(agent, paid, soon):
    ticket = paid(1).tickets.get()
    pending = asked(agent, ticket, complete=False).json()
    soon(10)

    assert_error(agent.post(f"/api/admin/support/transfer-requests/{pending['id']}/approve"),
                 400, "after_sale_closed")
    assert SupportTransferRequest.objects.get().status == TransferRequestStatus.PENDING


def test_a_blacklisted_new_holder_is_refused_with_the_mup_message(agent, paid):
    blacklist_entry_create(oib=NEW_OIB, first_name="Bad", last_name="Fan", reason="riot",
                           source=BlacklistSource.MUP_COURT_BAN, actor=None)
    ticket = paid(1).tickets.get()

    body = assert_error(asked(agent, ticket), 403, "blacklisted")

    assert "MUP" in body["detail"]
    violation = BlacklistViolation.objects.get()
    assert (violation.action_type, violation.user_id) == ("TRANSFER_ATTEMPT", agent.user.pk)
    assert not SupportTransferRequest.objects.exists()


def test_bad_input_names_the_field(agent, paid):
    ticket = paid(1).tickets.get()
    body = assert_error(asked(agent, ticket, requested_by_contact=""), 400, "invalid")
    assert "requested_by_contact" in body["fields"]
    body = assert_error(asked(agent, ticket, holder=new_holder(oib="12345678900")), 422,
                        "oib_invalid")
    assert "holder.oib" in body["fields"]
    assert_error(agent.post("/api/admin/tickets/999999/transfer",
                            {"requested_by_name": "A", "requested_by_contact": "b",
                             "holder": new_holder(), "reason": "c"}, format="json"),
                 404, "ticket_not_found")


def test_fans_cannot_use_the_support_transfer(buyer, paid):
    ticket = paid(1).tickets.get()
    assert asked(buyer, ticket).status_code == 403
    assert buyer.get("/api/admin/support/transfer-requests").status_code == 403


def test_one_waiting_request_per_ticket_and_none_after_the_ticket_changed(agent, paid, buyer):
    ticket = paid(1).tickets.get()
    first = asked(agent, ticket, complete=False).json()
    assert_error(asked(agent, ticket, complete=False), 409, "transfer_request_pending")
    assert first["requested_by_contact"].endswith("4567")  # masked
    assert "+385" not in first["requested_by_contact"]

    own = buyer.post(f"/api/tickets/{ticket.pk}/transfer",
                     {"holder": new_holder(first_name="Marta", oib=valid_oib(779),
                                           email="b@example.com")},
                     format="json")
    assert own.status_code == 200, own.content

    url = f"/api/admin/support/transfer-requests/{first['id']}/approve"
    assert_error(agent.post(url), 409, "ticket_changed")
    assert Ticket.objects.get(pk=ticket.pk).holder_name == "Marta Babić"


def test_approval_checks_the_blacklist_again(agent, paid):
    ticket = paid(1).tickets.get()
    pending = asked(agent, ticket, complete=False).json()
    blacklist_entry_create(oib=NEW_OIB, first_name="Bad", last_name="Fan", reason="riot",
                           source=BlacklistSource.MUP_COURT_BAN, actor=None)

    url = f"/api/admin/support/transfer-requests/{pending['id']}/approve"
    assert_error(agent.post(url), 403, "blacklisted")
    assert SupportTransferRequest.objects.get().status == TransferRequestStatus.PENDING
    reject = f"/api/admin/support/transfer-requests/{pending['id']}/reject"
    assert_error(agent.post(reject, {"note": ""}, format="json"), 422, "note_required")
