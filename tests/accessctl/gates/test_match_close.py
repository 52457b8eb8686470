"""E2-F9 / E13-F2: POST /api/admin/matches/<id>/close. The vendor's attendance file marks its
tickets ATTENDED and lists what it could not match (NOT_FOUND, ALREADY_CANCELLED,
INVALID_FORMAT); without a file a reason is required and every valid ticket is attended; the
closure and the attendance are one transaction; the loyalty award follows."""

import io

import pytest
from openpyxl import Workbook

from accessctl.gates.models import AttendanceImport, AttendanceUnmatched
from seating.models import Match, MatchStatus
from tests.assertions import assert_error
from ticketing.loyalty.models import LoyaltyPoint
from ticketing.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def close(client, match, content: bytes | None = None, name="scans.xlsx", capture=None,
          **data):
    body = dict(data)
    if content is not None:
        body["file"] = io.BytesIO(content)
        body["file"].name = name
    url = f"/api/admin/matches/{match.pk}/close"
    if capture is None:
        return client.post(url, body, format="multipart")
    with capture(execute=True):
        return client.post(url, body, format="multipart")


def test_the_attendance_file_marks_tickets_and_reports_the_rest(
        match_manager, match, paid, django_capture_on_commit_callbacks):
    first, second = paid(2).tickets.order_by("pk")
    third, refunded = paid(2).tickets.order_by("pk")
    Ticket.objects.filter(pk=refunded.pk).update(status=TicketStatus.REFUNDED)
    content = xlsx([["Barcode", "Scan Timestamp"],
                    [first.barcode, "2026-12-20 19:45:10"],
                    [second.barcode, "2026-12-20 19:50:00"],
                    [first.barcode, "2026-12-20 20:10:00"],  # scanned twice: once
                    [refunded.barcode, "2026-12-20 19:55:00"],
                    ["123456789012345678", ""],
                    ["not-a-code", ""]])

    response = close(match_manager, match, content, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total_scanned"], body["matched_count"], body["unmatched_count"]) == (5, 2, 3)
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == TicketStatus.ATTENDED
    assert statuses[third.pk] == TicketStatus.VALID  # a no-show
    assert Ticket.objects.get(pk=first.pk).attended_at.minute == 45
    reasons = dict(AttendanceUnmatched.objects.values_list("barcode", "reason"))
    assert reasons == {refunded.barcode: "ALREADY_CANCELLED",
                       "123456789012345678": "NOT_FOUND", "not-a-code": "INVALID_FORMAT"}
    assert Match.objects.get(pk=match.pk).status == MatchStatus.CLOSED
    assert LoyaltyPoint.objects.count() == 2  # the award ran after the closure
    report = match_manager.get(f"/api/admin/matches/{match.pk}/attendance").json()
    assert report["matched_count"] == 2 and report["unmatched"]["count"] == 3
    assert_error(close(match_manager, match, reason="again"), 409, "match_closed")


def test_a_csv_from_a_spreadsheet_program_works_too(match_manager, match, paid):
    ticket = paid(1).tickets.get()
    content = (f"\ufeffbarcode;scanned_at\r\n{ticket.barcode};2026-02-30 19:45\r\n"
               "123;not a date\r\n").encode()  # no such day: the closure's time is used

    response = close(match_manager, match, content, name="scans.csv")

    assert response.json()["matched_count"] == 1
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ATTENDED


def test_without_a_file_a_reason_is_required_and_every_valid_ticket_attends(
        match_manager, match, paid):
    order = paid(2)
    body = assert_error(close(match_manager, match), 422, "reason_required")
    assert "reason" in body["fields"]

    response = close(match_manager, match, reason="the gate system failed")

    assert response.json()["matched_count"] == 2
    assert set(order.tickets.values_list("status", flat=True)) == {TicketStatus.ATTENDED}
    assert AttendanceImport.objects.get().reason == "the gate system failed"


def test_a_bad_file_changes_nothing(match_manager, match, paid):
    order = paid(1)
    body = assert_error(close(match_manager, match, xlsx([["code_of_ticket"], ["1"]])), 400,
                        "invalid_file")
    assert "barcode" in body["detail"]
    assert_error(close(match_manager, match, b"PK\x03\x04 broken"), 400, "invalid_file")
    assert Match.objects.get(pk=match.pk).status != MatchStatus.CLOSED
    assert not AttendanceImport.objects.exists()
    assert order.tickets.get().status == TicketStatus.VALID


def test_a_failure_after_the_attendance_rolls_both_back(match_manager, match, paid):
    """The match cannot close (it was cancelled), which is found after the attendance was
    written: the attendance is not kept either."""
    ticket = paid(1).tickets.get()
    Match.objects.filter(pk=match.pk).update(status=MatchStatus.CANCELLED)

    response = close(match_manager, match, xlsx([["barcode"], [ticket.barcode]]))

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_transition"
    assert not AttendanceImport.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID


def test_only_match_managers_close(buyer, match):
    assert close(buyer, match, reason="x").status_code == 403
