from django.conf import settings
from django.db import models

from ticketing.external_tickets.models import private_storage


class ReportType(models.TextChoices):
    SALES = "SALES"
    FINANCIAL = "FINANCIAL"
    ATTENDANCE = "ATTENDANCE"
    QUOTA_USAGE = "QUOTA_USAGE"


class ExportFormat(models.TextChoices):
    CSV = "CSV"
    XLSX = "XLSX"


class JobStatus(models.TextChoices):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ReportExportJob(models.Model):
    """A full report written to a file by a Celery task (E14-F1): PENDING -> PROCESSING ->
    COMPLETED (the file is in the private storage; the requester is emailed a signed link) or
    FAILED (error_message says why). `rows_done` of `rows_total` is the progress."""

    report_type = models.CharField(max_length=11, choices=ReportType.choices)
    file_format = models.CharField(max_length=4, choices=ExportFormat.choices,
                                   default=ExportFormat.CSV)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices,
                              default=JobStatus.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=private_storage, upload_to="reports/",
                            blank=True, max_length=200)
    file_size = models.PositiveBigIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The worker's last sign of life: a job PROCESSING without one for
    # REPORT_EXPORT_STALE_MINUTES lost its worker and is taken again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="report_job_status")]

    def __str__(self):
        return f"{self.get_report_type_display()} {self.file_format} #{self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == JobStatus.COMPLETED:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

