"""POST /api/tickets/<id>/transfer (E9-F5): the buyer gives a ticket to someone else, who
passes checkout's holder rules; the ticket gets a new barcode and both holders are told."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accessctl.models import BlacklistSource, BlacklistViolation
from accessctl.services.entries import blacklist_entry_create
from core.models import AuditEvent, EmailLog, PushLog
from core.pii import keyed_hash
from tests.assertions import assert_error
from tests.ticketing.test_checkout import adult, valid_oib
from ticketing.aftersale.models import TransferLog, TransferType
from ticketing.models import HolderSource, OrderItem, Ticket, TicketStatus
from ticketing.services.profiles import saved_profile_create
from ticketing.services.tickets import qr_payload, qr_payload_verify

pytestmark = pytest.mark.django_db

NEW_OIB = valid_oib(777)


def new_holder(**fields) -> dict:
    return adult(first_name="Ivana", last_name="Babić", oib=NEW_OIB,
                 email="ivana@example.com") | fields


def transfer(client, ticket, holder=None, capture=None):
    url = f"/api/tickets/{ticket.pk}/transfer"
    body = {"holder": new_holder() if holder is None else holder}
    if capture is None:
        return client.post(url, body, format="json")
    with capture(execute=True):
        return client.post(url, body, format="json")


def test_a_transfer_gives_the_ticket_a_new_holder_and_a_new_barcode(
        paid, buyer, django_capture_on_commit_callbacks):
    order = paid(2)
    ticket = order.tickets.order_by("pk").last()
    order.items.filter(pk=ticket.order_item_id).update(email="old.holder@example.com")
    old_barcode, old_qr, old_name = ticket.barcode, qr_payload(ticket), ticket.holder_name

    response = transfer(buyer, ticket, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.content
    assert response.json() | {"transfer_id": None} == {
        "ticket_id": ticket.pk, "holder_name": "Ivana Babić", "transfer_count": 1,
        "transfer_id": None}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.holder_name, ticket.transfer_count) == (
        TicketStatus.VALID, "Ivana Babić", 1)
    assert ticket.barcode != old_barcode
    assert qr_payload_verify(old_qr) == old_barcode  # the old code is genuine, but no ticket has it
    assert not Ticket.objects.filter(barcode=old_barcode).exists()
    item = OrderItem.objects.get(pk=ticket.order_item_id)
    assert (item.first_name, item.oib, item.oib_hash, item.email, item.holder_source) == (
        "Ivana", NEW_OIB, keyed_hash(NEW_OIB), "ivana@example.com", HolderSource.MANUAL_ENTRY)

    log = TransferLog.objects.get()
    assert (log.from_holder_name, log.to_holder_name, log.to_holder_email) == (
        old_name, "Ivana Babić", "ivana@example.com")
    assert log.to_holder_oib == NEW_OIB and log.to_holder_oib_masked.endswith(NEW_OIB[-4:])
    assert NEW_OIB not in log.to_holder_oib_masked
    assert log.transfer_type == TransferType.SELF_SERVICE
    assert AuditEvent.objects.filter(action="ticket.transferred", object_id=str(ticket.pk)
                                     ).exists()
    sent = dict(EmailLog.objects.values_list("template_key", "recipient_email"))
    assert sent["ticket_transfer"] == "ivana@example.com"
    assert sent["ticket_transferred_away"] == "old.holder@example.com"
    assert PushLog.objects.filter(notification_type="ticket_transferred").exists()


def test_the_new_holder_may_come_from_a_saved_profile(
        paid, buyer, django_capture_on_commit_callbacks):
    saved = saved_profile_create(user=buyer.user, data={
        "first_name": "Luka", "last_name": "Perić", "date_of_birth": "1992-03-04",
        "nationality": "HR", "oib": valid_oib(4242), "email": "luka@example.com"})
    ticket = paid(1).tickets.get()

    response = transfer(buyer, ticket, {"saved_profile_id": saved.pk},
                        django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.content
    item = OrderItem.objects.get(pk=ticket.order_item_id)
    assert (item.full_name, item.holder_source, item.email) == (
        "Luka Perić", HolderSource.SAVED_PROFILE, "luka@example.com")


def test_a_blacklisted_new_holder_is_refused_with_the_mup_message_and_logged(paid, buyer):
    blacklist_entry_create(oib=NEW_OIB, first_name="Bad", last_name="Fan", reason="riot",
                           source=BlacklistSource.MUP_COURT_BAN, actor=None)
    ticket = paid(1).tickets.get()

    body = assert_error(transfer(buyer, ticket), 403, "blacklisted")

    assert "MUP" in body["detail"]
    attempt = BlacklistViolation.objects.get()
    assert (attempt.action_type, attempt.reference) == ("TRANSFER_ATTEMPT", f"ticket:{ticket.pk}")
    ticket.refresh_from_db()
    assert ticket.transfer_count == 0 and not TransferLog.objects.exists()


def test_a_ticket_that_may_not_be_transferred_is_refused(paid, buyer):
    ticket = paid(1).tickets.get()
    Ticket.objects.filter(pk=ticket.pk).update(transfer_allowed=False)  # a quota's rule

    assert_error(transfer(buyer, ticket), 403, "transfer_not_allowed")


def test_a_match_that_forbids_transfers_issues_tickets_that_cannot_be(paid, buyer, match):
    match.tickets_transferable = False
    match.save(update_fields=["tickets_transferable"])

    ticket = paid(1).tickets.get()

    assert ticket.transfer_allowed is False
    assert_error(transfer(buyer, ticket), 403, "transfer_not_allowed")


def test_no_transfer_within_48_hours_of_kick_off(paid, buyer, match):
    ticket = paid(1).tickets.get()
    match.kick_off_time = timezone.now() + timedelta(hours=30)
    match.save(update_fields=["kick_off_time"])

    assert_error(transfer(buyer, ticket), 422, "after_sale_closed")


def test_a_holder_may_not_end_up_with_more_than_four_tickets_of_the_match(
        paid, buyer, other_fan, django_capture_on_commit_callbacks):
    from tests.ticketing.test_checkout import buyer_profile

    buyer_profile(other_fan.user, oib=valid_oib(999), first_name="Marko")
    held = [*paid(2).tickets.all(), *paid(2, client=other_fan).tickets.all()][:3]
    OrderItem.objects.filter(ticket__in=held).update(oib_hash=keyed_hash(NEW_OIB))
    first, second = paid(2).tickets.order_by("pk")

    fourth = transfer(buyer, first, capture=django_capture_on_commit_callbacks)
    fifth = transfer(buyer, second)

    assert fourth.status_code == 200, fourth.content
    assert_error(fifth, 409, "holder_limit_reached")
    assert "at most 4" in fifth.json()["detail"]


def test_bad_holder_data_names_the_field(paid, buyer):
    ticket = paid(1).tickets.get()

    body = assert_error(transfer(buyer, ticket, new_holder(oib="12345678901")), 422,
                        "oib_invalid")
    assert "holder.oib" in body["fields"]
    assert_error(transfer(buyer, ticket, new_holder(email="")), 422, "email_required")
    assert_error(transfer(buyer, ticket, {"first_name": "Only"}), 422, "holder_incomplete")
    assert not TransferLog.objects.exists()


def test_only_the_buyer_transfers_and_only_a_valid_ticket(
        paid, buyer, other_fan, supervisor, django_capture_on_commit_callbacks):
    order = paid(2)
    first, second = order.tickets.order_by("pk")

    assert_error(transfer(other_fan, first), 404, "ticket_not_found")
    supervisor.post(f"/api/admin/orders/{order.pk}/refund",
                    {"ticket_ids": [second.pk], "reason": "support"}, format="json")
    assert_error(transfer(buyer, second), 409, "ticket_not_valid")


def test_transferring_to_the_current_holder_is_refused(paid, buyer):
    ticket = paid(1).tickets.get()
    item = OrderItem.objects.get(pk=ticket.order_item_id)

    response = transfer(buyer, ticket, new_holder(oib=item.oib, email="me@example.com"))

    assert_error(response, 422, "same_holder")
