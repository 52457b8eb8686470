"""Report export jobs (E14-F1): a report written to a CSV or XLSX file by a Celery task.

The rows stream from the database in chunks straight into a temporary file (csv.writer, or
openpyxl's write-only workbook, which keeps nothing but the current row in memory), so a
35,000-row export never holds them all. Progress is written every PROGRESS_EVERY rows. The
finished file goes to the private storage; the requester is emailed a signed link that
expires REPORT_LINK_HOURS after the job completed and opens only for its requester (or a Super
Admin) signed in with the report's role."""

import csv
import io
import logging
import tempfile
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, Forbidden, NotFound
from core.notifications import TemplateKey, email_send
from core.roles import Role, user_has_role
from core.tables import csv_cell
from core.transactions import enqueue_on_commit
from reports.models import ExportFormat, JobStatus, ReportExportJob
from reports.params import (
    REPORTS,
    report_params,
    report_role_check,
    report_table,
    stored_params,
)
from reports.services.tables import Table
from reports.services.xlsx import financial_xlsx

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 2000
LINK_SALT = "reports.export-link"


def export_request(*, user, report_type: str, file_format: str, parameters) -> ReportExportJob:
    """Check the role and the parameters now (the requester hears of a mistake at once), then
    queue the job."""
    if report_type not in REPORTS:
        raise NotFound(f"No report type {report_type!r}.", code="report_type_unknown")
    report_role_check(user, report_type)
    params = report_params(report_type, parameters)
    job = ReportExportJob.objects.create(report_type=report_type, file_format=file_format,
                                         parameters=stored_params(params), requested_by=user)
    from reports.tasks import report_export_task

    enqueue_on_commit(report_export_task, job.pk, robust=True)  # the sweep queues it again
    return job


def jobs_visible_to(user):
    jobs = ReportExportJob.objects.select_related("requested_by")
    return jobs if user_has_role(user, Role.SUPER_ADMIN) else jobs.filter(requested_by=user)


class _Lost(Exception):
    """Another worker took the job over (this one looked dead): stop, write nothing."""


def _stale() -> Q:
    since = timezone.now() - timedelta(minutes=settings.REPORT_EXPORT_STALE_MINUTES)
    return Q(status=JobStatus.PROCESSING, heartbeat_at__lt=since)


def _claim(job_id: int):
    """PENDING (or PROCESSING without a sign of life for so long that its worker must have
    died) -> PROCESSING, in one statement: two workers given the same job never both run it.
    Returns the claim's time (the heartbeat it owns), or None."""
    now = timezone.now()
    claimed = ReportExportJob.objects.filter(Q(status=JobStatus.PENDING) | _stale(),
                                             pk=job_id).update(
        status=JobStatus.PROCESSING, started_at=now, heartbeat_at=now, rows_done=0,
        error_message="")
    return now if claimed else None


def _ours(job: ReportExportJob):
    return ReportExportJob.objects.filter(pk=job.pk, status=JobStatus.PROCESSING,
                                          heartbeat_at=job.heartbeat_at)


def export_run(job_id: int) -> str:
    """Build the job's file; returns the job's status afterwards."""
    claimed_at = _claim(job_id)
    if claimed_at is None:
        return ReportExportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    job = ReportExportJob.objects.select_related("requested_by").get(pk=job_id)
    job.heartbeat_at = claimed_at
    try:
        params = report_params(job.report_type, job.parameters)
        table = report_table(job.report_type, params)
        _ours(job).update(rows_total=table.row_count)
        with tempfile.TemporaryFile() as out:
            if job.file_format == ExportFormat.XLSX:
                _write_xlsx(job, table, out)
            else:
                _write_csv(job, table, out)
            size = out.tell()
            out.seek(0)
            job.file.save(_file_name(job), File(out), save=False)
    except _Lost:
        logger.warning("Report export %s was taken over by another worker", job.pk)
        return JobStatus.PROCESSING
    except Exception as exc:  # any failure is the job's, and the requester is told
        logger.exception("Report export %s failed", job.pk)
        _ours(job).update(status=JobStatus.FAILED, completed_at=timezone.now(),
                          error_message=_reason(exc)[:1000])
        return JobStatus.FAILED
    with transaction.atomic():
        if not _ours(job).update(status=JobStatus.COMPLETED, file=job.file.name,
                                 file_size=size, rows_done=table.row_count,
                                 completed_at=timezone.now()):
            job.file.delete(save=False)  # the other worker's file is the one kept
            return JobStatus.PROCESSING
        try:
            _email_ready(job)
        except DomainError as exc:  # the file is there all the same, linked in the admin
            logger.warning("Report export %s: no email (%s)", job.pk, exc.detail)
    return JobStatus.COMPLETED


def _file_name(job: ReportExportJob) -> str:
    return (f"{job.report_type.lower()}-{job.pk}-{timezone.localdate()}"
            f".{job.file_format.lower()}")


def _reason(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    return str(detail) if detail else f"{type(exc).__name__}: {exc}"


def _progress(job: ReportExportJob, done: int) -> None:
    """Every PROGRESS_EVERY rows: the progress, and a heartbeat that keeps the job ours."""
    if done % PROGRESS_EVERY == 0:
        now = timezone.now()
        if not _ours(job).update(rows_done=done, heartbeat_at=now):
            raise _Lost
        job.heartbeat_at = now


def _plain(value):
    """A cell as a spreadsheet takes it: local time without a zone (Excel has none)."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return value


def _csv_value(value):
    value = _plain(value)
    if value is None:
        return ""
    return csv_cell(value) if isinstance(value, str) else value


def _write_csv(job: ReportExportJob, table: Table, out) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([csv_cell(name) for name in table.columns])
    for done, row in enumerate(table.rows(), start=1):
        writer.writerow([_csv_value(value) for value in row])
        _progress(job, done)
    text.flush()
    text.detach()  # the temporary file stays open for the storage


def _write_xlsx(job: ReportExportJob, table: Table, out) -> None:
    if "report" in table.totals:  # the financial reconciliation has its own workbook
        out.write(financial_xlsx(table.totals["report"]))
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.title[:31])
    sheet.append(list(table.columns))
    for done, row in enumerate(table.rows(), start=1):
        sheet.append([_xlsx_value(value) for value in row])
        _progress(job, done)
    book.save(out)


def _xlsx_value(value):
    """openpyxl stores a string starting with "=" as a formula and refuses control
    characters: a holder's name is free text, so strings are escaped like CSV cells."""
    value = _plain(value)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return csv_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


# --- the link ------------------------------------------------------------------------------

def download_link(job: ReportExportJob) -> str:
    # A plain Signer, not signing.dumps (which stamps the time): the link is the same however
    # often it is shown, and its end is read from completed_at.
    token = signing.Signer(salt=LINK_SALT).sign_object({"j": job.pk})
    return settings.SITE_URL + reverse("report-export-download", args=[token])


def _email_ready(job: ReportExportJob) -> None:
    user = job.requested_by
    if not user.email:
        return
    email_send(template_key=TemplateKey.REPORT_READY, to=user.email, private=("link",),
               variables={"name": user.email,
                          "report": job.get_report_type_display(),
                          "format": job.file_format, "link": download_link(job),
                          "hours": settings.REPORT_LINK_HOURS})


def link_expires_at(job: ReportExportJob):
    return job.completed_at + timedelta(hours=settings.REPORT_LINK_HOURS)


def job_for_link(*, token: str, user) -> ReportExportJob:
    """The completed job a link names, until REPORT_LINK_HOURS after it was completed (however
    often the link was shown again), for its requester (or a Super Admin) still holding the
    report's role."""
    try:
        data = signing.Signer(salt=LINK_SALT).unsign_object(token)
    except signing.BadSignature as exc:
        raise NotFound("This download link is not valid: export the report again.",
                       code="report_link_invalid") from exc
    job = ReportExportJob.objects.filter(pk=data.get("j"), status=JobStatus.COMPLETED).first()
    if job is None or not job.file or link_expires_at(job) < timezone.now():
        raise NotFound("This export has expired or is no longer here: export the report "
                       "again.", code="report_link_invalid")
    if job.requested_by_id != user.pk and not user_has_role(user, Role.SUPER_ADMIN):
        raise Forbidden("This export was asked for by someone else.")
    report_role_check(user, job.report_type)
    return job


def exports_resume() -> int:
    """Queue again the jobs a broker outage or a dead worker left behind; returns how many."""
    now = timezone.now()
    waiting = ReportExportJob.objects.filter(
        Q(status=JobStatus.PENDING, created_at__lt=now - timedelta(minutes=1)) | _stale())
    from reports.tasks import report_export_task

    ids = list(waiting.values_list("pk", flat=True)[:100])
    for job_id in ids:
        report_export_task.delay(job_id)
    return len(ids)


def exports_prune() -> int:
    """Delete the files of exports older than their link (nobody can fetch them any more)."""
    old = ReportExportJob.objects.filter(
        status=JobStatus.COMPLETED, completed_at__lt=timezone.now() - timedelta(
            hours=settings.REPORT_LINK_HOURS)).exclude(file="")
    pruned = 0
    for job in old:
        job.file.delete(save=False)
        ReportExportJob.objects.filter(pk=job.pk).update(file="", file_size=0)
        pruned += 1
    return pruned

