"""Away-match PDF tickets (E9-F6): uploaded PDFs (or a zip) matched to tickets by holder name
or seat, stored privately, served only to the buyer and the holder, our QR hidden, unmatched
files listed, and each holder emailed their PDF once."""

import io
import zipfile

import pytest
from django.core import mail
from reportlab.pdfgen import canvas

from core.models import EmailLog
from core.roles import Role
from seating.models import Match, MatchType
from tests.assertions import assert_error
from tests.ticketing.aftersale.test_transfer import transfer
from ticketing.external_tickets.models import ExternalTicketPdf, PdfUpload
from ticketing.external_tickets.services import holder_link
from ticketing.models import Ticket
from ticketing.support.services.prints import _fonts

pytestmark = pytest.mark.django_db


def pdf(*lines: str) -> bytes:
    """A host's PDF ticket: the lines as text, in a font with Croatian letters where the
    machine has one (the emergency reprint's)."""
    regular, _, printable = _fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont(regular, 11)
    for n, line in enumerate(lines):
        page.drawString(72, 760 - 20 * n, printable(line))
    page.save()
    return buffer.getvalue()


def upload(client, match_id: int, *files: tuple[str, bytes]):
    handles = []
    for name, data in files:
        handle = io.BytesIO(data)
        handle.name = name
        handles.append(handle)
    return client.post(f"/api/admin/matches/{match_id}/upload-pdf-tickets", {"files": handles},
                       format="multipart")


@pytest.fixture
def manager(make_user, back_office):
    return back_office(make_user("matches@hns.hr", roles=[Role.MATCH_MANAGER]))


@pytest.fixture
def away(paid):
    """An away match's order of two tickets (Ana Horvat's and a friend's)."""
    order = paid(2)
    Match.objects.filter(pk=order.match_id).update(match_type=MatchType.AWAY)
    return order


def ticket_of(order, n: int) -> Ticket:
    return order.tickets.order_by("pk")[n]


def seat_line(ticket: Ticket) -> str:
    return (f"Sector {ticket.order_item.match_sector.code} Row {ticket.inventory.row_label} "
            f"Seat {ticket.inventory.seat_number}")


def test_pdfs_are_matched_by_name_or_seat_and_the_rest_listed(manager, away):
    first, second = ticket_of(away, 0), ticket_of(away, 1)

    response = upload(manager, away.match_id,
                      ("ana.pdf", pdf("UEFA Nations League", f"Name: {first.holder_name}")),
                      ("b.pdf", pdf("Ticket holder: unknown", seat_line(second))),
                      ("stranger.pdf", pdf("Name: Nobody Here", "Row 99 Seat 99")),
                      ("notes.txt", b"not a pdf"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["files"], body["matched"]) == (4, 2)
    assert {u["file"] for u in body["unmatched"]} == {"stranger.pdf", "notes.txt"}
    stored = {p.ticket_id: p.matched_by for p in ExternalTicketPdf.objects.all()}
    assert stored == {first.pk: "NAME", second.pk: "SEAT"}
    assert set(Ticket.objects.values_list("external_ticket_required", flat=True)) == {True}


def test_a_zip_of_pdfs_is_unpacked_and_a_file_named_pdf_is_checked_by_content(manager, away):
    first = ticket_of(away, 0)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("tickets/ana.pdf", pdf(f"Name: {first.holder_name}"))
        archive.writestr("tickets/fake.pdf", b"MZ this is an executable")

    body = upload(manager, away.match_id, ("tickets.zip", packed.getvalue())).json()

    assert body["matched"] == 1
    assert [u["file"] for u in body["unmatched"]] == ["tickets.zip/tickets/fake.pdf"]


def test_the_api_hides_our_qr_and_gives_the_buyer_their_pdf(manager, away, buyer, other_fan):
    first = ticket_of(away, 0)
    content = pdf(f"Name: {first.holder_name}")
    upload(manager, away.match_id, ("ana.pdf", content))

    shown = buyer.get(f"/api/tickets/{first.pk}").json()
    assert shown["external_ticket_required"] is True
    assert "qr_payload" not in shown and "barcode" not in shown
    download = buyer.get(shown["pdf_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == content
    assert other_fan.get(shown["pdf_url"]).status_code == 404
    assert buyer.get(f"/api/tickets/{ticket_of(away, 1).pk}/pdf").status_code == 404


def test_each_holder_is_emailed_a_link_to_their_pdf_once(
        manager, away, client, django_capture_on_commit_callbacks):
    first, second = ticket_of(away, 0), ticket_of(away, 1)
    upload(manager, away.match_id, ("a.pdf", pdf(f"Name: {first.holder_name}")),
           ("b.pdf", pdf(f"Name: {second.holder_name}")))

    for _ in range(2):  # sending twice emails nobody twice
        with django_capture_on_commit_callbacks(execute=True):
            assert manager.post(f"/api/admin/matches/{away.match_id}/pdf-tickets/send"
                                ).status_code == 202

    assert EmailLog.objects.filter(template_key="external_ticket").count() == 2
    sent = [m for m in mail.outbox if "host's ticket" in m.body]
    assert len(sent) == 2
    link = holder_link(first)
    assert link in next(m.body for m in sent if first.holder_name in m.body)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    assert client.get(f"/{path}x").status_code == 404  # a forged token


def test_a_transfer_ends_the_old_holders_link(manager, away, client, buyer):
    first = ticket_of(away, 0)
    upload(manager, away.match_id, ("a.pdf", pdf(f"Name: {first.holder_name}")))
    path = "/" + holder_link(first).split("://", 1)[1].split("/", 1)[1]
    assert transfer(buyer, first).status_code == 200  # a new holder, a new barcode

    assert client.get(path).status_code == 404


def test_home_matches_take_no_pdf_tickets(manager, paid):
    order = paid(1)
    response = upload(manager, order.match_id, ("a.pdf", pdf("Name: x")))
    assert_error(response, 422, "validation_failed")
    assert not PdfUpload.objects.exists()


def test_fans_cannot_upload(buyer, away):
    assert upload(buyer, away.match_id, ("a.pdf", pdf("x"))).status_code == 403


def test_a_zip_that_unpacks_to_too_much_is_refused_before_it_is_read(manager, away, settings):
    settings.PDF_TICKET_MAX_UNZIPPED = 10_000
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.pdf", b"%PDF-" + b"0" * 1_000_000)  # a few KB packed

    response = upload(manager, away.match_id, ("tickets.zip", packed.getvalue()))

    assert_error(response, 422, "validation_failed")
    assert "files" in response.json()["fields"]
