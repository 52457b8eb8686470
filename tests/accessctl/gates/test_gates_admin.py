"""Access control in Django Admin: a Match Manager downloads a match's barcode export, and
closes a match with the vendor's file, then reads the report."""

import io

import pytest
from django.urls import reverse

from accessctl.gates.models import AttendanceImport
from tests.accessctl.gates.test_match_close import xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_mm(client, match_manager):
    client.force_login(match_manager.user)
    return client


def test_export_and_close_in_the_admin(admin_mm, match, paid):
    ticket = paid(1).tickets.get()

    download = admin_mm.post(reverse("admin:gates_barcodeexportlog_export"),
                             {"match": match.pk})
    assert download["Content-Disposition"].startswith("attachment; filename=")
    assert b"Export a match" in admin_mm.get(
        reverse("admin:gates_barcodeexportlog_changelist")).content

    upload = io.BytesIO(xlsx([["barcode"], [ticket.barcode], ["999"]]))
    upload.name = "gates.xlsx"
    page = admin_mm.post(reverse("admin:gates_attendanceimport_close"),
                         {"match": match.pk, "file": upload}, follow=True)

    record = AttendanceImport.objects.get()
    assert (record.matched_count, record.unmatched_count) == (1, 1)
    assert b"1 attended, 1 unmatched" in page.content and b"INVALID_FORMAT" in page.content


def test_closing_without_a_file_or_reason_says_why(admin_mm, match):
    page = admin_mm.post(reverse("admin:gates_attendanceimport_close"), {"match": match.pk},
                         follow=True)
    assert b"say why there is none" in page.content
    assert not AttendanceImport.objects.exists()
