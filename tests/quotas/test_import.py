"""POST /api/admin/quotas/import (E7-F2, E7-F3): every verification of seed 000 plus the CSV
dialects spreadsheet programs write."""

import pytest
from django.utils.timezone import localtime

from core.models import AuditEvent, EmailLog
from quotas.models import ImportBatch, Quota, QuotaSeat, QuotaStatus
from quotas.services.imports import csv_parse, quotas_import
from seating.models import SeatInventory, SeatStatus
from tests.quotas.fixtures_import import SECTOR_A_SEATS, csv_bytes, csv_file, quota_make

URL = "/api/admin/quotas/import"
HEADER = "email,sectors,quantity"


def post(client, content: bytes, *match_ids, name="quotas.csv", **extra):
    data = {"file": csv_file(content, name), **extra}
    if match_ids:
        data["match_ids"] = [str(i) for i in match_ids]
    return client.post(URL, data, format="multipart")


# --- E7-F2: file uploaded, invalid format returns error ---------------------------------------

def test_it_imports_a_csv_file_and_creates_the_quotas_with_seats(manager_api, match_a):
    response = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,4", "ivo@firma.hr,A|B,3"),
                    match_a.pk)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["total_rows"] == 2 and body["successful_rows"] == 2 and body["failed_rows"] == 0
    assert body["quotas_created"] == 2 and body["errors"] == []
    quotas = Quota.objects.filter(pk__in=body["quota_ids"]).order_by("id")
    assert [(q.recipient_email, q.quantity, q.status) for q in quotas] == [
        ("ana@firma.hr", 4, QuotaStatus.ACTIVE), ("ivo@firma.hr", 3, QuotaStatus.ACTIVE)]
    assert QuotaSeat.objects.filter(quota__in=quotas).count() == 7
    assert SeatInventory.objects.filter(match=match_a, status=SeatStatus.ALLOCATED).count() == 7
    assert {s.code for s in quotas[1].sectors.all()} == {"A", "B"}


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"\n\r\n  \n", "empty"),
    (csv_bytes(HEADER), "no data lines"),
    (csv_bytes("email,quantity", "ana@firma.hr,2"), "lacks the column(s) sectors"),
    (csv_bytes("name;count", "Ana;2"), "lacks the column(s) email, sectors, quantity"),
    (csv_bytes(HEADER + ",colour", "ana@firma.hr,A,2,red"), "Unknown column(s) colour"),
    (csv_bytes("email,sectors,quantity,Email", "a@b.hr,A,2,c@d.hr"), "appear twice"),
    ("email,sectors,quantity\nšime@firma.hr,A,2\n".encode("cp1250"), "not UTF-8"),
    (b"PK\x03\x04\x14\x00\x06\x00xl/workbook.xml", "spreadsheet workbook, not a CSV"),
    (b"%PDF-1.4\x00\x01", "not a CSV"),
])
def test_it_refuses_a_malformed_file_saying_what_is_wrong(manager_api, match_a, content,
                                                          message):
    response = post(manager_api, content, match_a.pk)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_csv"
    assert message in body["detail"] and body["fields"]["file"]
    assert not ImportBatch.objects.exists() and not Quota.objects.exists()


def test_it_refuses_more_than_50_data_lines(manager_api, match_a, settings):
    lines = [f"fan{n}@firma.hr,A,1" for n in range(settings.QUOTA_IMPORT_MAX_ROWS + 1)]

    response = post(manager_api, csv_bytes(HEADER, *lines), match_a.pk)

    assert response.status_code == 400
    assert "more than 50 data lines" in response.json()["detail"]
    assert not Quota.objects.exists()


def test_fifty_lines_and_blank_ones_are_fine(manager_api, match_a, settings):
    lines = [f"fan{n}@firma.hr,B,0" for n in range(settings.QUOTA_IMPORT_MAX_ROWS)]

    response = post(manager_api, csv_bytes(HEADER, "", *lines, ",,", ""), match_a.pk)

    assert response.status_code == 201
    assert response.json()["total_rows"] == 50  # all invalid (quantity 0), but read


def test_it_needs_the_file_and_a_match(manager_api, match_a):
    no_file = manager_api.post(URL, {"match_ids": [str(match_a.pk)]}, format="multipart")
    no_match = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,1"))
    bad_match = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,1"), "12x")
    missing_match = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,1"), 999999)

    assert no_file.status_code == 400 and no_file.json()["fields"]["file"]
    assert no_match.status_code == 422 and no_match.json()["fields"]["match_ids"]
    assert bad_match.status_code == 422 and bad_match.json()["fields"]["match_ids"]
    assert missing_match.status_code == 404
    assert not ImportBatch.objects.exists()


def test_only_a_quota_manager_may_import(api, make_user, login, match_a):
    support = make_user("support@hns.hr", roles=["Support Agent"])
    api.force_login(support)

    assert post(api, csv_bytes(HEADER, "a@b.hr,A,1"), match_a.pk).status_code == 403
    assert post(login("fan@example.com"), csv_bytes(HEADER, "a@b.hr,A,1"),
                match_a.pk).status_code == 403


# --- E7-F2: row errors reported, with line numbers ---------------------------------------------

def test_it_reports_each_invalid_row_with_its_line_number_and_creates_the_valid_ones(
        manager_api, match_a):
    content = csv_bytes(
        HEADER,                      # line 1
        "ana@firma.hr,A,2",          # line 2: fine
        "",                          # line 3: blank, skipped
        "not-an-email,A,2",          # line 4: email
        "ivo@firma.hr,Z,2",          # line 5: unknown sector
        "eva@firma.hr,B,100",        # line 6: not available
        "maja@firma.hr,A,two",       # line 7: quantity
        "luka@firma.hr,B,1",         # line 8: fine
    )

    body = post(manager_api, content, match_a.pk).json()

    assert {(e["line"], e["field"]) for e in body["errors"]} == {
        (4, "email"), (5, "sectors"), (6, "quantity"), (7, "quantity")}
    assert body["total_rows"] == 6 and body["successful_rows"] == 2 and body["failed_rows"] == 4
    assert [r["line"] for r in body["rows"] if r["status"] == "created"] == [2, 8]
    unknown = next(e for e in body["errors"] if e["line"] == 5)
    assert "Z" in unknown["error"] and unknown["match_id"] == match_a.pk
    assert "not-an-email" in next(e for e in body["errors"] if e["line"] == 4)["error"]
    assert sorted(Quota.objects.values_list("recipient_email", flat=True)) == [
        "ana@firma.hr", "luka@firma.hr"]
    batch = ImportBatch.objects.get(pk=body["batch_id"])
    assert batch.error_report == body["errors"]
    assert (batch.total_rows, batch.successful_rows, batch.failed_rows,
            batch.quotas_created) == (6, 2, 4, 2)


def test_availability_counts_what_earlier_rows_of_the_file_take(manager_api, match_a):
    content = csv_bytes(HEADER, f"ana@firma.hr,A,{SECTOR_A_SEATS - 2}", "ivo@firma.hr,A,3",
                        "eva@firma.hr,A,2")

    body = post(manager_api, content, match_a.pk).json()

    assert [(e["line"], e["field"]) for e in body["errors"]] == [(3, "quantity")]
    assert [r["status"] for r in body["rows"]] == ["created", "failed", "created"]
    assert SeatInventory.objects.filter(match=match_a, match_sector__code="A",
                                        status=SeatStatus.AVAILABLE).count() == 0


def test_it_reports_every_problem_of_a_row(manager_api, match_a):
    content = csv_bytes(HEADER + ",algorithm,expires_at,deferred_payment,discount_code",
                        "bad@,A;B,0,BEST,someday,maybe,VIP")

    body = post(manager_api, content, match_a.pk).json()

    assert {e["field"] for e in body["errors"]} == {
        "email", "sectors", "quantity", "algorithm", "expires_at", "deferred_payment",
        "discount_code"}
    assert {e["line"] for e in body["errors"]} == {2}
    assert "A|B" in next(e for e in body["errors"] if e["field"] == "sectors")["error"]


def test_a_line_with_more_cells_than_the_header_is_a_row_error(manager_api, match_a):
    body = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,2,oops"), match_a.pk).json()

    assert body["errors"] == [{"line": 2, "field": None, "error":
                               "The line has more cells than the header has columns."}]


def test_line_numbers_count_quoted_cells_that_span_lines(manager_api, match_a):
    content = csv_bytes("email,sectors,quantity,internal_note",
                        'ana@firma.hr,A,1,"two\nline note"', "bad,A,1,")

    body = post(manager_api, content, match_a.pk).json()

    assert [e["line"] for e in body["errors"]] == [4]
    assert Quota.objects.get().internal_note == "two\nline note"


# --- E7-F2: quotas created (optional columns) ---------------------------------------------------

def test_it_reads_every_optional_column(manager_api, match_a):
    content = csv_bytes(
        "email;sectors;quantity;recipient_name;internal_note;discount_code;discount_percent;"
        "algorithm;expires_at;can_create_subquotas;deferred_payment;transfer_allowed;"
        "auto_send_email",
        "ana@firma.hr;A;2;Ana Horvat;Sponsor;GR;;REDOM;30.09.2030;da;no;yes;0",
        "ivo@firma.hr;B;1;;;;12,5 %;nm;2030-10-01 18:00;;1;;",
    )

    body = post(manager_api, content, match_a.pk).json()

    assert body["errors"] == []
    ana, ivo = Quota.objects.order_by("id")
    assert (ana.recipient_name, ana.internal_note, ana.discount_code, ana.discount_percent,
            ana.algorithm, ana.can_create_subquotas, ana.deferred_payment,
            ana.transfer_allowed, ana.auto_send_email) == (
        "Ana Horvat", "Sponsor", "GR", 100, "REDOM", True, False, True, False)
    assert localtime(ana.expires_at).isoformat()[:16] == "2030-09-30T23:59"
    assert (ivo.discount_percent, ivo.algorithm, ivo.deferred_payment,
            ivo.auto_send_email) == (12.5, "NM", True, True)
    assert localtime(ivo.expires_at).isoformat()[:16] == "2030-10-01T18:00"
    # auto_send_email: only Ivo is invited
    assert list(EmailLog.objects.values_list("recipient_email", flat=True)) == ["ivo@firma.hr"]


# --- spreadsheet dialects -----------------------------------------------------------------------

@pytest.mark.parametrize("content", [
    csv_bytes(HEADER, "ana@firma.hr,A,2", newline="\r\n", bom=True),   # Excel "CSV UTF-8"
    csv_bytes("Email;Sectors;Quantity", "ana@firma.hr;A;2", newline="\r\n"),  # Excel (HR locale)
    csv_bytes(" EMAIL , Sectors ,QUANTITY ", "  ana@firma.hr , A , 2 ", "", ",,", newline="\r\n"),
    csv_bytes('"email";"sectors";"quantity"', '"ana@firma.hr";"A";"2"', bom=True),  # LibreOffice
    csv_bytes("email\tsectors\tquantity", "ana@firma.hr\tA\t2"),  # tab-separated
    csv_bytes("Recipient Email,Sectors,Quantity", "Ana@Firma.HR,a,2.0"),
])
def test_it_reads_csv_as_spreadsheet_programs_save_it(manager_api, match_a, content):
    body = post(manager_api, content, match_a.pk).json()

    assert body["errors"] == [] and body["quotas_created"] == 1
    quota = Quota.objects.get()
    assert (quota.recipient_email, quota.quantity) == ("ana@firma.hr", 2)


def test_csv_parse_keeps_the_files_line_numbers():
    rows = csv_parse(b"\r\nemail;sectors;quantity\r\n\r\na@b.hr;A;1\r\n;;\r\nc@d.hr;B;2\r\n")

    assert [(r.line, r.values["email"]) for r in rows] == [(4, "a@b.hr"), (6, "c@d.hr")]


# --- E7-F3: multi-match import -----------------------------------------------------------------

def test_it_accepts_several_match_ids_as_repeated_fields(manager_api, match_a, match_b):
    response = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,2", "ivo@firma.hr,B,1"),
                    match_a.pk, match_b.pk)

    body = response.json()
    assert response.status_code == 201 and body["match_ids"] == [match_a.pk, match_b.pk]
    assert body["quotas_created"] == 4 and len(body["rows"][0]["quota_ids"]) == 2
    assert sorted(Quota.objects.values_list("match_id", "recipient_email")) == sorted([
        (match_a.pk, "ana@firma.hr"), (match_b.pk, "ana@firma.hr"),
        (match_a.pk, "ivo@firma.hr"), (match_b.pk, "ivo@firma.hr")])


@pytest.mark.parametrize("field", ["comma", "match_id"])
def test_it_accepts_match_ids_comma_separated_or_a_single_match_id(manager_api, match_a,
                                                                   match_b, field):
    extra = ({"match_ids": f"{match_a.pk}, {match_b.pk}"} if field == "comma"
             else {"match_id": str(match_a.pk), "match_ids": str(match_b.pk)})

    body = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,2"), **extra).json()

    assert sorted(body["match_ids"]) == sorted([match_a.pk, match_b.pk])
    assert set(Quota.objects.values_list("match_id", flat=True)) == {match_a.pk, match_b.pk}


def test_quotas_of_all_matches_are_linked_by_the_batch_id(manager_api, match_a, match_b):
    body = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,2", "ivo@firma.hr,B,1"),
                match_a.pk, match_b.pk).json()

    batch = ImportBatch.objects.get(pk=body["batch_id"])
    assert set(batch.quotas.values_list("pk", flat=True)) == set(body["quota_ids"])
    assert batch.match_ids == [match_a.pk, match_b.pk]
    assert batch.quotas_created == 4 and batch.imported_by.email == "quotas-import@hns.hr"
    assert all(q.batch_id == batch.pk for q in Quota.objects.all())


def test_a_row_is_created_for_every_match_or_for_none(manager_api, match_a, match_b):
    quota_make(match_b, sectors=("B",), quantity=7)  # match B's sector B has 1 seat left

    body = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,B,2", "ivo@firma.hr,A,1"),
                match_a.pk, match_b.pk).json()

    assert body["errors"] == [{"line": 2, "field": "quantity", "match_id": match_b.pk,
                               "error": body["errors"][0]["error"]}]
    assert not Quota.objects.filter(recipient_email="ana@firma.hr").exists()
    assert SeatInventory.objects.filter(match=match_a, match_sector__code="B",
                                        status=SeatStatus.ALLOCATED).count() == 0
    assert Quota.objects.filter(recipient_email="ivo@firma.hr").count() == 2


# --- the batch, audit, duplicates ---------------------------------------------------------------

def test_an_import_is_audited_and_repeats_are_flagged(manager_api, match_a):
    quota_make(match_a, email="ana@firma.hr", quantity=1)

    body = post(manager_api, csv_bytes(HEADER, "ana@firma.hr,A,1"), match_a.pk).json()

    assert body["warnings"][0]["line"] == 2 and "already has quota" in body["warnings"][0][
        "warning"]
    event = AuditEvent.objects.get(action="quota_import.completed")
    assert event.actor_email == "quotas-import@hns.hr"
    assert event.object_id == str(body["batch_id"]) and event.after["quotas_created"] == 1


def test_a_dry_run_changes_nothing_but_reports_the_same(quota_manager, match_a):
    content = csv_bytes(HEADER, "ana@firma.hr,A,2", "bad,A,1")

    outcome = quotas_import(actor=quota_manager, file_name="q.csv", content=content,
                            match_ids=[match_a.pk], dry_run=True)

    assert outcome.batch is None and outcome.successful_rows == 1
    assert [e["line"] for e in outcome.errors] == [3]
    assert not Quota.objects.exists() and not ImportBatch.objects.exists()
    assert not SeatInventory.objects.filter(status=SeatStatus.ALLOCATED).exists()


def test_the_same_file_for_the_same_matches_imports_once(manager_api, match_a, match_b):
    content = csv_bytes(HEADER, "ana@firma.hr,A,1")
    first = post(manager_api, content, match_a.pk).json()

    again = post(manager_api, content, match_a.pk)
    other_match = post(manager_api, content, match_b.pk)
    repeated = post(manager_api, content, match_a.pk, allow_repeat="true")

    assert again.status_code == 409 and again.json()["error"] == "already_imported"
    assert f"batch {first['batch_id']}" in again.json()["detail"]
    assert other_match.status_code == 201 and repeated.status_code == 201
    assert Quota.objects.filter(match=match_a).count() == 2


def test_a_file_that_imported_nothing_may_be_sent_again(manager_api, match_a):
    content = csv_bytes(HEADER, "not-an-email,A,1")
    assert post(manager_api, content, match_a.pk).json()["quotas_created"] == 0
    assert post(manager_api, content, match_a.pk).status_code == 201
