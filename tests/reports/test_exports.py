"""Report export jobs (E14-F1): PENDING -> PROCESSING -> COMPLETED / FAILED, CSV and XLSX
written by a Celery task, the requester emailed a signed, expiring link, progress in Django
Admin."""

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from openpyxl import load_workbook

from core.roles import Role
from reports.models import JobStatus, ReportExportJob
from reports.services.exports import _claim, _ours, export_run, exports_resume
from ticketing.models import OrderItem

pytestmark = pytest.mark.django_db
EXPORTS = "/api/admin/reports/exports"
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture(autouse=True)
def _templates(email_templates, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}


def export(client, report_type="SALES", file_format="CSV", **parameters):
    response = client.post(EXPORTS, {"report_type": report_type, "format": file_format,
                                     "parameters": parameters}, format="json")
    return response


def emailed_link() -> str:
    [message] = [m for m in mail.outbox if "report is ready" in m.subject]
    return re.search(r"https?://\S+/admin/reports/exports/\S+", message.body).group(0)


def download(client, link: str):
    return client.get(urlsplit(link).path)


def test_a_csv_export_runs_emails_its_link_and_downloads(finance, month,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = export(finance, **NOVEMBER)
    assert response.status_code == 202 and response.json()["status"] == JobStatus.PENDING

    job = ReportExportJob.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.COMPLETED and job.completed_at
    tickets = OrderItem.objects.filter(order__in=month).count()
    assert job.rows_total == job.rows_done == tickets and job.progress_percent == 100
    detail = finance.get(f"{EXPORTS}/{job.pk}").json()
    assert detail["download_url"] == emailed_link()

    file = download(finance, emailed_link())
    assert file.status_code == 200
    text = b"".join(file.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["order", "sold_at", "match_id"] and len(rows) == tickets + 1
    preview = finance.get("/api/admin/reports/sales", NOVEMBER).json()
    assert rows[1][0] == preview["rows"][0]["order"]


def test_an_xlsx_export_has_the_same_rows(finance, month, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = export(finance, file_format="XLSX", channel="PETROL", **NOVEMBER).json()["id"]
    job = ReportExportJob.objects.get(pk=job_id)
    book = load_workbook(job.file.open("rb"), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "order" and len(rows) == 1 + 4
    assert {row[8] for row in rows[1:]} == {"PETROL"}
    assert isinstance(rows[1][10], int | float)  # prices stay numbers


def test_a_holder_named_like_a_formula_is_written_as_text(finance, month,
                                                         django_capture_on_commit_callbacks):
    OrderItem.objects.filter(order=month[0]).update(first_name='=HYPERLINK("http://x")')
    with django_capture_on_commit_callbacks(execute=True):
        job_id = export(finance, **NOVEMBER).json()["id"]
    text = ReportExportJob.objects.get(pk=job_id).file.open("rb").read().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text

    OrderItem.objects.filter(order=month[0]).update(last_name="Horvat\x0b")  # a control char
    with django_capture_on_commit_callbacks(execute=True):
        job_id = export(finance, file_format="XLSX", **NOVEMBER).json()["id"]
    job = ReportExportJob.objects.get(pk=job_id)
    assert job.status == JobStatus.COMPLETED
    book = load_workbook(job.file.open("rb"))
    holders = [cell for cell in book.worksheets[0]["J"][1:] if "HYPERLINK" in str(cell.value)]
    assert holders and all(cell.data_type == "s" and cell.value.startswith("'=")
                           and "\x0b" not in cell.value for cell in holders)


def test_attendance_and_quota_usage_are_report_types_of_the_same_job(
        finance, month, django_capture_on_commit_callbacks):
    match_id = month[0].match_id
    with django_capture_on_commit_callbacks(execute=True):
        attendance = export(finance, "ATTENDANCE", match_id=match_id).json()["id"]
        quotas = export(finance, "QUOTA_USAGE", "XLSX", match_id=match_id).json()["id"]
        financial = export(finance, "FINANCIAL", "XLSX", **NOVEMBER).json()["id"]
    jobs = ReportExportJob.objects.in_bulk([attendance, quotas, financial])
    assert {job.status for job in jobs.values()} == {JobStatus.COMPLETED}
    header = jobs[attendance].file.open("rb").read().decode("utf-8-sig").splitlines()[0]
    assert header == "sector,name,sold,attended,no_shows,attendance_percent"
    book = load_workbook(jobs[financial].file.open("rb"))
    assert "By method" in book.sheetnames


def test_the_link_expires_is_signed_and_needs_the_role(finance, month, make_user, back_office,
                                                       client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export(finance, **NOVEMBER)
    link = emailed_link()

    client.logout()
    assert download(client, link).status_code == 302  # to the admin's sign-in
    agent = back_office(make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT], staff=True))
    assert download(agent, link).status_code == 403
    assert download(finance, link[:-3] + "abc").status_code == 404
    colleague = back_office(make_user("colleague@hns.hr", roles=[Role.FINANCE]))
    assert download(colleague, link).status_code == 403  # the requester's, not the role's
    boss = back_office(make_user("boss@hns.hr", roles=[Role.SUPER_ADMIN]))
    assert download(boss, link).status_code == 200
    assert download(finance, link).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        fresh = finance.get(EXPORTS).json()[0]["download_url"]  # shown again: same end
        assert download(finance, fresh).status_code == 404
        assert download(finance, link).status_code == 404


def test_a_job_that_fails_says_why(finance, month):
    job = ReportExportJob.objects.create(report_type="ATTENDANCE", parameters={"match_id": 999},
                                         requested_by=finance.user)
    assert export_run(job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "No match 999" in job.error_message
    assert finance.get(f"{EXPORTS}/{job.pk}").json()["download_url"] is None


def test_a_worker_that_lost_its_job_writes_nothing(finance, month):
    job = ReportExportJob.objects.create(report_type="SALES", parameters=NOVEMBER,
                                         requested_by=finance.user)
    assert _claim(job.pk) is not None  # a first worker, presumed dead, then a second one:
    ReportExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    job.heartbeat_at = timezone.now() - timedelta(hours=1)  # the first worker's claim
    assert _ours(job).update(rows_done=1) == 0  # its progress and completion no longer land


def test_a_job_runs_once_and_a_dead_workers_job_is_taken_again(
        finance, month, settings, django_capture_on_commit_callbacks):
    job = ReportExportJob.objects.create(report_type="SALES", parameters=NOVEMBER,
                                         requested_by=finance.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert export_run(job.pk) == JobStatus.COMPLETED
        assert export_run(job.pk) == JobStatus.COMPLETED  # the task delivered twice: no-op
    assert len([m for m in mail.outbox if "report is ready" in m.subject]) == 1

    stuck = ReportExportJob.objects.create(
        report_type="SALES", parameters=NOVEMBER, requested_by=finance.user,
        status=JobStatus.PROCESSING)
    ReportExportJob.objects.filter(pk=stuck.pk).update(
        heartbeat_at=timezone.now() - timedelta(
            minutes=settings.REPORT_EXPORT_STALE_MINUTES + 1),
        created_at=timezone.now() - timedelta(hours=1))
    busy = ReportExportJob.objects.create(
        report_type="SALES", parameters=NOVEMBER, requested_by=finance.user,
        status=JobStatus.PROCESSING, heartbeat_at=timezone.now())
    assert export_run(busy.pk) == JobStatus.PROCESSING  # its worker is alive: left alone

    assert exports_resume() == 1  # eager here: the stuck job runs now
    stuck.refresh_from_db()
    assert stuck.status == JobStatus.COMPLETED


def test_bad_requests_are_refused_at_once(finance, make_user, back_office):
    assert export(finance, "NOPE").status_code == 400
    backwards = export(finance, date_from="2026-11-30", date_to="2026-11-01")
    assert backwards.status_code == 422 and "date_to" in backwards.json()["fields"]
    assert export(finance, "ATTENDANCE").status_code == 400
    quotas = back_office(make_user("quotas@hns.hr", roles=[Role.QUOTA_MANAGER]))
    assert export(quotas, "SALES").status_code == 403
    assert ReportExportJob.objects.count() == 0


def test_each_sees_their_own_jobs(finance, make_user, back_office, month):
    ReportExportJob.objects.create(report_type="SALES", requested_by=finance.user)
    other = back_office(make_user("other@hns.hr", roles=[Role.FINANCE]))
    assert len(finance.get(EXPORTS).json()) == 1
    assert other.get(EXPORTS).json() == []
    job_id = finance.get(EXPORTS).json()[0]["id"]
    assert other.get(f"{EXPORTS}/{job_id}").status_code == 404


def test_django_admin_requests_an_export_and_shows_its_progress(finance, month, client,
                                                                django_capture_on_commit_callbacks):
    client.force_login(finance.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/reports/reportexportjob/add/", {
            "report_type": "SALES", "file_format": "CSV",
            "parameters": '{"date_from": "2026-11-01", "date_to": "2026-11-30"}'})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ReportExportJob.objects.get()
    assert job.status == JobStatus.COMPLETED and job.requested_by == finance.user
    page = client.get("/admin/reports/reportexportjob/").content.decode()
    assert '<progress max="100" value="100">' in page and "download (" in page

    refused = client.post("/admin/reports/reportexportjob/add/", {
        "report_type": "ATTENDANCE", "file_format": "CSV", "parameters": "{}"})
    assert refused.status_code == 200 and "match_id" in refused.content.decode()
