"""E11-F4: listing someone looks up the tickets they already hold (buyer: whole orders; holder:
single tickets); the admin confirms; the tickets are cancelled without a refund, the seats go
back on sale, the buyers and holders are told. A payment completing after the listing issues
no ticket."""

import pytest
from django.urls import reverse

from accessctl.models import BlacklistSource
from core.models import EmailLog, PushLog
from payments.models import PaymentStatus, Refund
from seating.models import SeatInventory, SeatStatus
from tests.ticketing.test_checkout import BUYER_OIB, valid_oib
from tests.ticketing.test_order_payment import ordered
from ticketing.models import OrderStatus, Ticket, TicketStatus

pytestmark = pytest.mark.django_db
FRIEND_OIB = valid_oib(1234)  # every friend `ordered` names holds this OIB


def body(oib: str) -> dict:
    return {"oib": oib, "first_name": "Ana", "last_name": "Horvat", "reason": "Court ban",
            "source": BlacklistSource.MUP_COURT_BAN}


def test_a_banned_buyer_loses_whole_orders_without_a_refund(
        officer, paid, django_capture_on_commit_callbacks):
    order = paid(2)
    created = officer.post("/api/admin/blacklist", body(BUYER_OIB), format="json").json()
    assert [(row["order_id"], row["scope"], len(row["ticket_ids"]))
            for row in created["tickets"]] == [(order.pk, "order", 2)]
    assert Ticket.objects.filter(status=TicketStatus.VALID).count() == 2  # not before confirming

    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(f"/api/admin/blacklist/{created['id']}/cancel-tickets")

    assert response.json() == {"cancelled_tickets": 2}
    assert set(order.tickets.values_list("status", flat=True)) == {
        TicketStatus.CANCELLED_BLACKLIST}
    assert not Refund.objects.exists()
    order.payment.refresh_from_db()
    assert order.payment.status == PaymentStatus.SUCCEEDED
    seats = SeatInventory.objects.filter(tickets__order=order)
    assert {s.status for s in seats} == {SeatStatus.AVAILABLE}
    assert EmailLog.objects.filter(template_key="ticket_cancellation").exists()
    assert PushLog.objects.filter(notification_type="tickets_cancelled").exists()
    assert officer.get(f"/api/admin/blacklist/{created['id']}/tickets").json() == []


def test_a_banned_holder_loses_only_their_tickets_in_someone_elses_order(
        officer, paid, django_capture_on_commit_callbacks):
    order = paid(3)  # the buyer and two friends holding FRIEND_OIB
    created = officer.post("/api/admin/blacklist", body(FRIEND_OIB), format="json").json()
    (row,) = created["tickets"]
    assert (row["scope"], len(row["ticket_ids"]), row["valid_tickets"]) == ("tickets", 2, 3)

    with django_capture_on_commit_callbacks(execute=True):
        officer.post(f"/api/admin/blacklist/{created['id']}/cancel-tickets")

    statuses = sorted(order.tickets.values_list("status", flat=True))
    assert statuses == [TicketStatus.CANCELLED_BLACKLIST] * 2 + [TicketStatus.VALID]
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.refund_status == "NONE"


def test_a_removed_entry_cancels_nothing(officer, paid):
    paid(1)
    created = officer.post("/api/admin/blacklist", body(BUYER_OIB), format="json").json()
    officer.post(f"/api/admin/blacklist/{created['id']}/remove", {"reason": "mistake"},
                 format="json")
    response = officer.post(f"/api/admin/blacklist/{created['id']}/cancel-tickets")
    assert response.status_code == 409
    assert Ticket.objects.filter(status=TicketStatus.VALID).count() == 1


def test_a_payment_completing_after_the_listing_is_refunded_without_tickets(
        officer, buyer, match, zone, django_capture_on_commit_callbacks):
    pending = ordered(buyer, match, zone, 2)  # checked out before the listing
    officer.post("/api/admin/blacklist", body(FRIEND_OIB), format="json")

    with django_capture_on_commit_callbacks(execute=True):
        buyer.post(f"/api/orders/{pending.pk}/pay-local")

    pending.refresh_from_db()
    assert pending.status == OrderStatus.EXPIRED and not Ticket.objects.exists()
    assert Refund.objects.get().reason == "a ticket holder is on the blacklist"


def test_the_admin_shows_a_new_entrys_tickets_and_cancels_them_on_confirmation(
        client, officer, paid, django_capture_on_commit_callbacks):
    order = paid(2)
    client.force_login(officer.user)
    form = body(BUYER_OIB) | {"valid_from": "2026-01-01", "valid_until": "", "notes": "",
                              "date_of_birth": ""}

    added = client.post(reverse("admin:accessctl_blacklistentry_add"), form)

    assert added.status_code == 302 and added["Location"].endswith("/tickets/")
    page = client.get(added["Location"]).content.decode()
    assert order.number in page and "whole order (buyer)" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(added["Location"])
    assert set(order.tickets.values_list("status", flat=True)) == {
        TicketStatus.CANCELLED_BLACKLIST}


def test_someone_elses_listing_does_not_stop_a_payment(
        officer, buyer, match, zone, django_capture_on_commit_callbacks):
    pending = ordered(buyer, match, zone, 2)
    officer.post("/api/admin/blacklist", body(valid_oib(4321)), format="json")

    with django_capture_on_commit_callbacks(execute=True):
        buyer.post(f"/api/orders/{pending.pk}/pay-local")

    pending.refresh_from_db()
    assert pending.status == OrderStatus.COMPLETED and pending.tickets.count() == 2


def test_an_import_shows_and_cancels_the_tickets_of_everyone_it_listed(
        officer, paid, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = paid(3)
    content = (f"oib;first_name;last_name\r\n{BUYER_OIB};Ana;Horvat\r\n"
               f"{FRIEND_OIB};Ivan;Kovač\r\n").encode()
    imported = officer.post("/api/admin/blacklist/import",
                            {"file": SimpleUploadedFile("mup.csv", content)},
                            format="multipart").json()
    assert [(row["order_id"], row["scope"], len(row["ticket_ids"]))
            for row in imported["tickets"]] == [(order.pk, "order", 3)]
    url = f"/api/admin/blacklist/imports/{imported['id']}"
    assert len(officer.get(f"{url}/tickets").json()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(f"{url}/cancel-tickets").json() == {"cancelled_tickets": 3}
    assert not Refund.objects.exists()
