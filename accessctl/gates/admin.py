"""Access control in Django Admin (Match Manager): *Barcode exports* downloads a match's
export and lists past ones; *Attendance imports* closes a match with the vendor's file (or a
reason) and shows each closure's report with its unmatched codes. Both call the services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accessctl.gates.api import XLSX
from accessctl.gates.models import (
    AttendanceImport,
    AttendanceUnmatched,
    BarcodeExportLog,
    GateDevice,
    GateScan,
)
from accessctl.gates.services.closure import match_close
from accessctl.gates.services.exports import access_export
from accessctl.gates.services.scans import gate_device_create
from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from seating.models import Match, MatchStatus


def _matches(*statuses):
    return Match.objects.filter(is_deleted=False, status__in=statuses).order_by("kick_off_time")


class ExportForm(forms.Form):
    match = forms.ModelChoiceField(_matches(MatchStatus.PUBLISHED, MatchStatus.ACTIVE))


class CloseForm(forms.Form):
    match = forms.ModelChoiceField(_matches(MatchStatus.PUBLISHED, MatchStatus.ACTIVE))
    file = forms.FileField(required=False, help_text="The gate vendor's attendance file "
                           "(XLSX or CSV with a barcode column)")
    reason = forms.CharField(required=False, max_length=500,
                             help_text="Without a file: why (every valid ticket then counts "
                             "as attended)")


def _form_page(model_admin, request, form, title: str, button: str):
    return TemplateResponse(request, "admin/service_form.html", {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "title": title, "form": form, "button": button, "intro": ""})


@admin.register(BarcodeExportLog)
class BarcodeExportLogAdmin(ReadOnlyAdmin):
    list_display = ("exported_at", "match", "file_name", "total_barcodes", "extra_barcodes",
                    "exported_by")
    list_select_related = ("match", "exported_by")
    change_list_template = "admin/gates/export_changelist.html"

    def get_urls(self):
        return [path("export/", self.admin_site.admin_view(self.export_view),
                     name="gates_barcodeexportlog_export"), *super().get_urls()]

    def export_view(self, request):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = ExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                export = access_export(actor=request.user,
                                       match_id=form.cleaned_data["match"].pk)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                response = HttpResponse(export.content, content_type=XLSX)
                response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
                return response
        return _form_page(self, request, form, "Export a match's barcodes for the gates",
                          "Download XLSX")


class UnmatchedInline(ReadOnlyInline):
    model = AttendanceUnmatched
    fields = ("barcode", "scan_timestamp", "reason")
    readonly_fields = fields
    max_num = 0


@admin.register(AttendanceImport)
class AttendanceImportAdmin(ReadOnlyAdmin):
    list_display = ("imported_at", "match", "file_name", "total_scanned", "matched_count",
                    "unmatched_count", "imported_by")
    list_select_related = ("match", "imported_by")
    inlines = [UnmatchedInline]
    change_list_template = "admin/gates/attendance_changelist.html"

    def get_urls(self):
        return [path("close/", self.admin_site.admin_view(self.close_view),
                     name="gates_attendanceimport_close"), *super().get_urls()]

    def close_view(self, request):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = CloseForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record = match_close(
                    actor=request.user, match_id=form.cleaned_data["match"].pk,
                    reason=form.cleaned_data["reason"], request=request,
                    file_name=upload.name if upload else "",
                    # one byte over the limit is enough for the reader to refuse the file
                    content=upload.read(settings.ATTENDANCE_IMPORT_MAX_BYTES + 1)
                    if upload else None)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(request, f"{record.match} closed: {record.matched_count} "
                                  f"attended, {record.unmatched_count} unmatched.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:gates_attendanceimport_change",
                                                    args=[record.pk]))
        return _form_page(self, request, form, "Close a match with its attendance",
                          "Close the match")


class GateDeviceForm(forms.ModelForm):
    class Meta:
        model = GateDevice
        fields = ("name", "gate", "is_active")


@admin.register(GateDevice)
class GateDeviceAdmin(admin.ModelAdmin):
    """A new device's token is shown once, in the message after saving: put it on the device."""

    form = GateDeviceForm
    list_display = ("name", "gate", "is_active", "last_seen_at", "created_at")
    list_filter = ("is_active",)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        device, token = gate_device_create(name=obj.name, gate=obj.gate)
        obj.pk, obj.token_hash, obj.created_at = device.pk, device.token_hash, device.created_at
        self.message_user(request, f"The device's token (shown only now): {token}",
                          messages.WARNING)


@admin.register(GateScan)
class GateScanAdmin(ReadOnlyAdmin):
    list_display = ("scanned_at", "device", "match", "ticket", "result", "reason")
    list_filter = ("result", "reason", "device")
    list_select_related = ("device", "match", "ticket")
