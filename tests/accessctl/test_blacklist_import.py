"""E11-F2: importing the blacklist from CSV (as spreadsheet programs save it) or XLSX: OIB
checksum per row, duplicates in the file and in the database skipped and counted, valid rows
inserted in one batch, the batch's totals and per-line errors; the same in Django Admin."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accessctl.models import BlacklistAuditLog, BlacklistEntry, BlacklistImportBatch
from accessctl.services.imports import blacklist_import
from tests.assertions import assert_error
from tests.ticketing.test_checkout import valid_oib

pytestmark = pytest.mark.django_db
URL = "/api/admin/blacklist/import"


def upload(client, content: bytes, name="mup.csv", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **fields},
                       format="multipart")


def spreadsheet_csv(lines: list[str]) -> bytes:
    """As Excel saves "CSV UTF-8" in Croatia: a BOM, semicolons, CRLF."""
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def test_a_csv_imports_valid_rows_and_reports_the_rest_by_line(officer, listed):
    listed(valid_oib(900003))
    content = spreadsheet_csv([
        "OIB;Ime;Prezime;Datum rođenja;Napomena",
        f"{valid_oib(900001)};Ivo;Ivić;03.02.1990;Derby",
        "12345678900;Bad;Checksum;;",
        f"{valid_oib(900002)};Ana;Anić;1991-05-06;",
        f"{valid_oib(900001)};Ivo;Again;;",           # twice in the file
        f"{valid_oib(900003)};Already;Listed;;",      # already in the database
        f"{valid_oib(900004)};;Nameless;;",
        f"{valid_oib(900005)};Pero;Perić;31.02.1990;",
    ])

    response = upload(officer, content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total_rows"], body["successful_rows"], body["duplicate_rows"],
            body["failed_rows"]) == (7, 2, 2, 3)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (3, "oib"), (5, "oib"), (6, "oib"), (7, "first_name"), (8, "date_of_birth")]
    assert "check digit" in body["errors"][0]["error"]
    assert "earlier in the file" in body["errors"][1]["error"]
    assert "already on the list" in body["errors"][2]["error"]
    ivo = BlacklistEntry.objects.get(last_name="Ivić")
    assert (ivo.first_name, str(ivo.date_of_birth), ivo.notes, ivo.source) == (
        "Ivo", "1990-02-03", "Derby", "MUP_COURT_BAN")
    assert ivo.import_batch_id == body["id"] and ivo.reason == "Imported from mup.csv"
    assert BlacklistAuditLog.objects.filter(action="CREATE",
                                            changes_json__import_batch=body["id"]).count() == 2


def test_a_comma_separated_lf_file_without_bom_reads_the_same(officer):
    content = (f"oib,first_name,last_name,source\n{valid_oib(900011)},Ivo,Ivić,CLUB_BAN\n"
               ).encode()
    body = upload(officer, content).json()
    assert body["successful_rows"] == 1
    assert BlacklistEntry.objects.get().source == "CLUB_BAN"


def test_an_xlsx_workbook_imports_too(officer):
    book = Workbook()
    sheet = book.active
    sheet.append(["oib", "first_name", "last_name", "date_of_birth"])
    sheet.append([int(valid_oib(1234567890)), "Ivo", "Ivić", None])  # an OIB typed as a number
    sheet.append([valid_oib(900022), "Ana", "Anić", "1990-01-01"])
    buffer = io.BytesIO()
    book.save(buffer)

    body = upload(officer, buffer.getvalue(), name="export.xlsx").json()

    assert (body["total_rows"], body["successful_rows"]) == (2, 2)


@pytest.mark.parametrize("content, detail", [
    (b"", "empty"),
    (b"oib;first_name\r\n", "lacks the column"),
    (b"oib;first_name;last_name;shoe_size\r\n1;2;3;4\r\n", "Unknown column"),
    (b"oib;first_name;last_name\r\n", "no data lines"),
    (b"PK\x03\x04not really a workbook", "not a readable XLSX"),
])
def test_an_unreadable_file_is_refused_whole(officer, content, detail):
    body = assert_error(upload(officer, content), 400, "invalid_file") if content else None
    if body is None:  # an empty upload is refused by the serializer before the reader
        assert upload(officer, content).status_code == 400
    else:
        assert detail in body["detail"] and body["fields"] == {"file": [body["detail"]]}
    assert not BlacklistImportBatch.objects.exists()


def test_ten_thousand_rows_import_in_one_batch(officer, django_assert_max_num_queries):
    lines = ["oib;first_name;last_name"] + [f"{valid_oib(1_000_000 + n)};Ime{n};Prezime{n}"
                                             for n in range(10_000)]
    # A batch, not a query per row (SQLite's variable limit splits the inserts smaller).
    with django_assert_max_num_queries(400):
        result = blacklist_import(actor=officer.user, file_name="big.csv",
                                  content=spreadsheet_csv(lines))
    assert result.batch.successful_rows == 10_000
    assert BlacklistEntry.objects.count() == 10_000


def test_the_import_in_django_admin_uses_the_same_service(client, officer):
    client.force_login(officer.user)
    add = reverse("admin:accessctl_blacklistimportbatch_add")
    assert "CSV (comma or semicolon) or XLSX" in client.get(add).content.decode()
    content = spreadsheet_csv(["oib;first_name;last_name",
                               f"{valid_oib(900031)};Ivo;Ivić", "123;Bad;Row"])

    response = client.post(add, {"file": SimpleUploadedFile("mup.csv", content),
                                 "source": "MANUAL"})

    batch = BlacklistImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accessctl_blacklistimportbatch_tickets",
                                           args=[batch.pk])
    assert (batch.successful_rows, batch.failed_rows) == (1, 1)
    assert BlacklistEntry.objects.get().source == "MANUAL"
    page = client.get(reverse("admin:accessctl_blacklistimportbatch_change", args=[batch.pk]))
    assert "line 3" in page.content.decode()
    assert "nothing to cancel" in client.get(response["Location"]).content.decode()
