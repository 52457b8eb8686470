"""Every upload is size-limited and checked by its content (the hardening issue). One test per
gap the audit found; what the app tests already prove is left to them:

- quota CSV: tests/quotas/test_import.py (content), below (size, API and admin);
- blacklist and attendance files: tests/accessctl/test_blacklist_import.py and
  tests/accessctl/gates/test_match_close.py (content), below (size, told apart by content, a
  damaged or bombed XLSX);
- package image: tests/ticketing/packages/test_admin_api.py (size, content) and
  test_admin_pages.py (content), below (size in the admin);
- PDF tickets: tests/ticketing/external_tickets/test_pdf_tickets.py (content, zip bomb),
  below (size per PDF, per zip and per upload, a PDF pypdf cannot read, a damaged zip)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accessctl import admin as accessctl_admin
from accessctl.gates import admin as gates_admin
from accessctl.gates.models import AttendanceImport
from accessctl.models import BlacklistImportBatch
from quotas.models import ImportBatch
from quotas.services.imports import MAX_FILE_BYTES
from seating.models import Match, MatchStatus
from tests.accessctl import conftest as blacklist_fixtures
from tests.accessctl.gates import conftest as gates_fixtures
from tests.accessctl.gates.test_match_close import close, xlsx
from tests.accessctl.test_blacklist_import import upload as blacklist_upload
from tests.assertions import assert_error
from tests.quotas import fixtures_import as quota_fixtures
from tests.quotas import test_import as quota_api
from tests.quotas import test_quota_admin as quota_admin
from tests.quotas.fixtures_import import csv_bytes
from tests.ticketing import conftest as ticketing_fixtures
from tests.ticketing import test_checkout as checkout
from tests.ticketing.aftersale import conftest as aftersale_fixtures
from tests.ticketing.external_tickets import test_pdf_tickets as pdf_tickets
from tests.ticketing.external_tickets.test_pdf_tickets import pdf
from tests.ticketing.external_tickets.test_pdf_tickets import upload as pdf_upload
from tests.ticketing.packages import test_admin_pages as package_pages
from tests.ticketing.packages.test_admin_pages import change_data, change_url, errors_of, png
from tests.ticketing.packages.test_purchase import make_package
from tests.ticketing.test_checkout import valid_oib
from ticketing.external_tickets.models import ExternalTicketPdf
from ticketing.models import Ticket, TicketStatus

# The fixtures of the app tests this module borrows from.
officer, match_manager = blacklist_fixtures.officer, gates_fixtures.match_manager
match, zone, paid = ticketing_fixtures.match, ticketing_fixtures.zone, aftersale_fixtures.paid
buyer, local_payments = checkout.buyer, checkout.local_payments
away, admin_web = pdf_tickets.away, package_pages.admin_web
import_env, match_a = quota_fixtures.import_env, quota_fixtures.match_a
quota_manager, manager_api = quota_fixtures.quota_manager, quota_fixtures.manager_api
admin_client_qm = quota_fixtures.admin_client_qm

pytestmark = pytest.mark.django_db


def zipped(**entries: bytes) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return packed.getvalue()


def damaged(archive: bytes, entry: str) -> bytes:
    """The zip with the compressed bytes of one entry flipped (its deflate stream broken)."""
    info = zipfile.ZipFile(io.BytesIO(archive)).getinfo(entry)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray(archive)
    data[start + 2] ^= 0xFF
    return bytes(data)


def content_read(monkeypatch, module, service: str) -> list[int]:
    """The sizes of the contents the admin view hands `service` (which still runs)."""
    real, sizes = getattr(module, service), []

    def spy(**kwargs):
        sizes.append(len(kwargs["content"]))
        return real(**kwargs)

    monkeypatch.setattr(module, service, spy)
    return sizes


def blacklist_xlsx() -> bytes:
    return xlsx([["oib", "first_name", "last_name"], [valid_oib(900101), "Ivo", "Ivić"]])


# --- quota CSV import ---------------------------------------------------------------------------

def test_the_quota_api_refuses_a_file_over_the_limit(manager_api, match_a):
    content = csv_bytes("email,sectors,quantity", "ana@firma.hr,A,1") + b" " * MAX_FILE_BYTES

    body = assert_error(quota_api.post(manager_api, content, match_a.pk), 400, "invalid_csv")

    assert "larger than 1024 KB" in body["detail"] and body["fields"]["file"]
    assert not ImportBatch.objects.exists()


def test_the_quota_admin_refuses_a_file_over_the_limit_before_reading_it(
        admin_client_qm, match_a, monkeypatch):
    monkeypatch.setattr("quotas.admin_import.csv_parse", lambda content: pytest.fail("read"))
    content = csv_bytes("email,sectors,quantity", "ana@firma.hr,A,1") + b" " * MAX_FILE_BYTES

    html = quota_admin.upload(admin_client_qm, content, match_a).content.decode()

    assert "larger than 1024 KB" in html and 'name="confirm"' not in html


# --- blacklist import ---------------------------------------------------------------------------

def test_the_blacklist_api_refuses_a_file_over_the_limit(officer, settings):
    settings.BLACKLIST_IMPORT_MAX_BYTES = 100

    body = assert_error(blacklist_upload(officer, b"oib;first_name;last_name\r\n" * 10), 422,
                        "file_too_large")

    assert "file" in body["fields"] and not BlacklistImportBatch.objects.exists()


def test_the_blacklist_admin_refuses_a_file_over_the_limit_reading_no_more(
        client, officer, settings, monkeypatch):
    settings.BLACKLIST_IMPORT_MAX_BYTES = 1024 * 1024  # the message counts whole MB
    sizes = content_read(monkeypatch, accessctl_admin, "blacklist_import")
    client.force_login(officer.user)
    big = SimpleUploadedFile("mup.csv", b"oib;first_name;last_name\r\n" + b" " * 1024 * 1024)

    response = client.post(reverse("admin:accessctl_blacklistimportbatch_add"),
                           {"file": big, "source": "MANUAL"})

    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert sizes == [1024 * 1024 + 1] and not BlacklistImportBatch.objects.exists()


def test_a_blacklist_workbook_is_told_apart_by_content_not_by_name(officer):
    body = blacklist_upload(officer, blacklist_xlsx(), name="mup.csv").json()

    assert body["successful_rows"] == 1


@pytest.mark.parametrize("entry", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_a_damaged_workbook_is_refused_not_a_server_error(officer, entry):
    body = assert_error(blacklist_upload(officer, damaged(blacklist_xlsx(), entry)), 400,
                        "invalid_file")

    assert "not a readable XLSX" in body["detail"]
    assert not BlacklistImportBatch.objects.exists()


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_read(officer,
                                                                          monkeypatch):
    monkeypatch.setattr("core.tables.XLSX_MAX_UNZIPPED", 10_000)
    bomb = xlsx([["oib", "first_name", "last_name"], [valid_oib(900102), "Ivo", "x" * 20_000]])

    body = assert_error(blacklist_upload(officer, bomb), 400, "invalid_file")

    assert "unpacks to more than" in body["detail"]


# --- attendance import (closing a match) ----------------------------------------------------------

def test_the_attendance_api_refuses_a_file_over_the_limit(match_manager, match, paid, settings):
    ticket = paid(1).tickets.get()
    settings.ATTENDANCE_IMPORT_MAX_BYTES = 100

    body = assert_error(close(match_manager, match, f"barcode\n{ticket.barcode}\n".encode() * 10,
                              name="scans.csv"), 422, "file_too_large")

    assert "file" in body["fields"] and not AttendanceImport.objects.exists()
    assert Match.objects.get(pk=match.pk).status != MatchStatus.CLOSED


def test_the_attendance_admin_refuses_a_file_over_the_limit_reading_no_more(
        client, match_manager, match, settings, monkeypatch):
    settings.ATTENDANCE_IMPORT_MAX_BYTES = 1024 * 1024
    sizes = content_read(monkeypatch, gates_admin, "match_close")
    client.force_login(match_manager.user)
    big = SimpleUploadedFile("scans.csv", b"barcode\n" + b"1\n" * 1024 * 1024)

    page = client.post(reverse("admin:gates_attendanceimport_close"),
                       {"match": match.pk, "file": big}, follow=True)

    assert "larger than 1 MB" in page.content.decode()
    assert sizes == [1024 * 1024 + 1] and not AttendanceImport.objects.exists()


def test_an_attendance_workbook_is_told_apart_by_content_not_by_name(match_manager, match,
                                                                     paid):
    ticket = paid(1).tickets.get()

    response = close(match_manager, match, xlsx([["barcode"], [ticket.barcode]]),
                     name="scans.csv")

    assert response.json()["matched_count"] == 1
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ATTENDED


# --- package image --------------------------------------------------------------------------------

def test_the_package_admin_refuses_an_image_over_the_limit(admin_web, match, zone, settings,
                                                           tmp_path):
    settings.MEDIA_ROOT = tmp_path
    package = make_package(match, [zone])
    image = png()
    settings.PACKAGE_IMAGE_MAX_BYTES = image.size - 1

    response = admin_web.post(change_url(package), change_data(package, image=image))

    assert response.status_code == 200
    assert "The image is larger than" in errors_of(response)
    package.refresh_from_db()
    assert package.image.name == ""


# --- away-match PDF tickets -----------------------------------------------------------------------

def test_a_pdf_over_the_limit_is_listed_not_stored(match_manager, away, settings):
    holder = away.tickets.order_by("pk").first().holder_name
    data = pdf(f"Name: {holder}")
    settings.PDF_TICKET_MAX_BYTES = len(data) - 1

    body = pdf_upload(match_manager, away.match_id, ("ana.pdf", data)).json()

    assert body["matched"] == 0 and [u["file"] for u in body["unmatched"]] == ["ana.pdf"]
    assert not ExternalTicketPdf.objects.exists()


def test_a_zip_over_the_limit_is_refused(match_manager, away, settings):
    packed = zipped(**{"ana.pdf": pdf("Name: Ana Horvat")})
    settings.PDF_TICKET_MAX_ZIP_BYTES = len(packed) - 1

    response = pdf_upload(match_manager, away.match_id, ("tickets.zip", packed))

    assert "files" in assert_error(response, 422, "validation_failed")["fields"]


def test_the_pdfs_of_one_upload_are_limited_in_all(match_manager, away, settings):
    first, second = pdf("Name: Ana Horvat"), pdf("Name: Someone Else")
    settings.PDF_TICKET_MAX_UNZIPPED = len(first) + len(second) - 1

    response = pdf_upload(match_manager, away.match_id, ("a.pdf", first), ("b.pdf", second))

    assert "in all" in assert_error(response, 422, "validation_failed")["detail"]
    assert not ExternalTicketPdf.objects.exists()


def test_a_file_that_only_starts_like_a_pdf_is_read_by_pypdf_and_listed(match_manager, away):
    body = pdf_upload(match_manager, away.match_id, ("fake.pdf", b"%PDF-1.7 not really")).json()

    assert body["unmatched"] == [{"file": "fake.pdf", "reason": "unreadable"}]


def test_a_damaged_zip_entry_is_listed_not_a_server_error(match_manager, away):
    holder = away.tickets.order_by("pk").first().holder_name
    packed = damaged(zipped(**{"bad.pdf": pdf("Name: X"), "ana.pdf": pdf(f"Name: {holder}")}),
                     "bad.pdf")

    response = pdf_upload(match_manager, away.match_id, ("tickets.zip", packed))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["matched"] == 1
    assert [u["file"] for u in body["unmatched"]] == ["tickets.zip/bad.pdf"]


def test_a_file_that_only_starts_like_a_zip_is_refused(match_manager, away):
    response = pdf_upload(match_manager, away.match_id, ("tickets.zip", b"PK\x03\x04 broken"))

    assert "not a readable zip" in assert_error(response, 422, "validation_failed")["detail"]
