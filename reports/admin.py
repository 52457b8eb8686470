"""Report exports in Django Admin: ask for one (the report, the format, its parameters as JSON)
and follow its progress; a finished one has its download link here too."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.html import format_html
from rest_framework.exceptions import ValidationError

from core.drf import errors_text
from core.errors import DomainError, Forbidden
from reports.models import JobStatus, ReportExportJob
from reports.params import report_params, report_role_check
from reports.services.exports import download_link, export_request, jobs_visible_to


class ExportRequestForm(forms.ModelForm):
    class Meta:
        model = ReportExportJob
        fields = ("report_type", "file_format", "parameters")
        help_texts = {"parameters": 'e.g. {"match_id": 12, "date_from": "2026-11-01", '
                                    '"channel": "SHOP"}; attendance and quota usage need '
                                    'match_id'}

    def clean(self):
        data = super().clean()
        report_type = data.get("report_type")
        if report_type:
            try:
                report_role_check(self.user, report_type)
            except Forbidden as exc:
                raise forms.ValidationError(exc.detail) from exc
            try:
                report_params(report_type, data.get("parameters") or {})
            except DomainError as exc:
                raise DjangoValidationError({"parameters": exc.detail}) from exc
            except ValidationError as exc:
                raise DjangoValidationError({"parameters": errors_text(exc.detail)}) from exc
        return data


@admin.register(ReportExportJob)
class ReportExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "report_type", "file_format", "status", "progress", "rows_total",
                    "requested_by", "created_at", "completed_at", "download")
    list_filter = ("report_type", "status", "file_format")
    list_select_related = ("requested_by",)
    readonly_fields = ("status", "progress", "rows_total", "rows_done", "file_size",
                       "requested_by", "error_message", "created_at", "started_at",
                       "completed_at", "download")

    def get_queryset(self, request):
        return jobs_visible_to(request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ExportRequestForm
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("report_type", "file_format", "parameters")
        return ("report_type", "file_format", "parameters", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("report_type", "file_format", "parameters", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            return
        job = export_request(user=request.user, report_type=obj.report_type,
                             file_format=obj.file_format, parameters=obj.parameters or {})
        obj.pk = job.pk

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress(self, job: ReportExportJob) -> str:
        return format_html('<progress max="100" value="{}"></progress> {}%',
                           job.progress_percent, job.progress_percent)

    @admin.display(description="file")
    def download(self, job: ReportExportJob) -> str:
        if job.status != JobStatus.COMPLETED or not job.file:
            return job.error_message[:80] if job.status == JobStatus.FAILED else "—"
        return format_html('<a href="{}">download ({} KB)</a>', download_link(job),
                           max(1, job.file_size // 1024))
