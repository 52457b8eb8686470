"""E10-F4: GET /api/admin/tickets/<id>/print, an emergency reprint: a PDF with the match, the
seat, the holder and a QR code a scanner reads, watermarked "EMERGENCY REPRINT"; each print
logged; a second print warns when and by whom the first was made. The PDF is read back with
pdfium (text, and the page rendered and scanned with zxing)."""

import io

import pypdfium2
import pytest
import zxingcpp

from core.models import AuditEvent
from tests.assertions import assert_error
from ticketing.models import Ticket, TicketStatus
from ticketing.services.tickets import qr_payload
from ticketing.support.models import PrintLog

pytestmark = pytest.mark.django_db

WHY = {"reason": "phone stolen", "identity_verified": "true", "document_type": "ID_CARD",
       "location": "Maksimir gate 3 office"}


def printed(client, ticket, **params):
    return client.get(f"/api/admin/tickets/{ticket.pk}/print", WHY | params)


def pdf_read(content: bytes) -> tuple[str, str]:
    """(the page's text, what a scanner reads on the rendered page)."""
    page = pypdfium2.PdfDocument(io.BytesIO(content))[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=2).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    return text, code.text


def test_a_print_is_a_watermarked_pdf_with_a_qr_code_that_scans(agent, paid):
    ticket = paid(1).tickets.select_related("inventory", "match").get()

    response = printed(agent, ticket)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert "X-Print-Warning" not in response and response["X-Print-Count"] == "1"
    text, code = pdf_read(response.content)
    assert "EMERGENCY REPRINT" in text
    assert ticket.holder_name in text and ticket.barcode in text
    assert f"seat {ticket.inventory.seat_number}" in text and ticket.match.home_team in text
    assert code == qr_payload(ticket)
    log = PrintLog.objects.get()
    assert (log.agent_id, log.reason, log.identity_verified, log.verification_document_type,
            log.print_location) == (agent.user.pk, "phone stolen", True, "ID_CARD",
                                    "Maksimir gate 3 office")
    assert AuditEvent.objects.filter(action="ticket.printed", object_id=str(ticket.pk)).exists()


def test_a_second_print_warns_when_and_by_whom_the_first_was_made(agent, supervisor, paid):
    ticket = paid(1).tickets.get()
    printed(agent, ticket)

    response = printed(supervisor, ticket, reason="printer jammed")

    warning = response["X-Print-Warning"]
    assert "printed 1 time(s) before" in warning and agent.user.email in warning
    assert response["X-Print-Count"] == "2"
    text, _ = pdf_read(response.content)
    assert "Duplicate print" in text and agent.user.email in text
    history = supervisor.get(f"/api/admin/tickets/{ticket.pk}/prints").json()["results"]
    assert [p["agent"] for p in history] == [supervisor.user.email, agent.user.email]


def test_croatian_letters_print(agent, paid):
    ticket = paid(1).tickets.get()
    Ticket.objects.filter(pk=ticket.pk).update(holder_name="Đurđa Čačić-Šižgorić")

    text, _ = pdf_read(printed(agent, ticket).content)

    assert "Đurđa Čačić-Šižgorić" in text


def test_only_a_valid_ticket_is_printed_after_an_identity_check(agent, paid):
    ticket = paid(1).tickets.get()

    assert_error(printed(agent, ticket, identity_verified="false"), 422,
                 "identity_not_verified")
    body = assert_error(printed(agent, ticket, location=""), 400, "invalid")
    assert "location" in body["fields"]
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.REFUNDED)
    assert_error(printed(agent, ticket), 409, "ticket_not_valid")
    assert_error(agent.get("/api/admin/tickets/999999/print", WHY), 404, "ticket_not_found")
    assert not PrintLog.objects.exists()


def test_fans_cannot_print(buyer, paid):
    ticket = paid(1).tickets.get()
    assert printed(buyer, ticket).status_code == 403
    assert buyer.get(f"/api/admin/tickets/{ticket.pk}/prints").status_code == 403


def test_a_print_link_opened_from_another_site_is_refused(agent, paid):
    ticket = paid(1).tickets.get()
    response = agent.get(f"/api/admin/tickets/{ticket.pk}/print", WHY,
                         HTTP_SEC_FETCH_SITE="cross-site")
    assert_error(response, 403, "cross_site")
    assert not PrintLog.objects.exists()
