"""The blacklist in Django Admin (E11): search by OIB (its hash) or name, add, remove with a
reason, restore, delete a removed entry for good; import a file; confirm cancelling the
tickets a new entry already has; the audit log and the violations (with a CSV export). Every
write goes through accessctl.services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accessctl.models import (
    BlacklistAuditLog,
    BlacklistEntry,
    BlacklistImportBatch,
    BlacklistSource,
    BlacklistStatus,
    BlacklistViolation,
)
from accessctl.selectors import oib_term_hash, violation_csv
from accessctl.services.entries import (
    EDITABLE,
    blacklist_entry_clean_oib,
    blacklist_entry_create,
    blacklist_entry_delete,
    blacklist_entry_remove,
    blacklist_entry_restore,
    blacklist_entry_update,
)
from accessctl.services.imports import blacklist_import
from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from ticketing.aftersale.services.bans import (
    banned_tickets_preview,
    blacklist_tickets_cancel,
    blacklist_tickets_found,
)


class BlacklistEntryAddForm(forms.ModelForm):
    """The OIB is typed once, here, and never shown again (only its last 4 digits)."""

    oib = forms.CharField(label="OIB", max_length=11, min_length=11,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}))

    class Meta:
        model = BlacklistEntry
        fields = ("oib", *EDITABLE)

    def clean_oib(self):
        try:
            return blacklist_entry_clean_oib(oib=self.cleaned_data["oib"])
        except DomainError as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None


class BlacklistEntryChangeForm(forms.ModelForm):
    class Meta:
        model = BlacklistEntry
        fields = EDITABLE


def tickets_page(model_admin, request, *, entries, title: str, back_url: str):
    """E11-F4: what the entries' people hold now; a POST cancels it (no refund)."""
    if request.method == "POST":
        try:
            ended = blacklist_tickets_cancel(entries=entries, actor=request.user)
        except DomainError as exc:
            model_admin.message_user(request, exc.detail, messages.ERROR)
        else:
            model_admin.message_user(request, f"Cancelled {ended} tickets; the buyers and "
                                     "holders have been told.", messages.SUCCESS)
        return HttpResponseRedirect(back_url)
    found = blacklist_tickets_found(entries=entries)
    return TemplateResponse(request, "admin/accessctl/tickets.html", {
        **model_admin.admin_site.each_context(request), "title": title, "back_url": back_url,
        "rows": banned_tickets_preview(found), "ticket_count": found.ticket_count})


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "oib_masked", "date_of_birth", "source",
                    "status", "valid_from", "valid_until", "created_at")
    list_filter = ("status", "source")
    search_fields = ("last_name", "first_name")
    search_help_text = "Search by name, or by a full 11-digit OIB."
    actions = ["remove", "restore"]
    change_readonly = ("oib_masked", "status", "import_batch", "created_by", "created_at",
                       "updated_at", "removed_at", "removed_by", "removal_reason",
                       "audit_log")

    @admin.display(description="OIB")
    def oib_masked(self, obj):
        return obj.oib_masked

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = BlacklistEntryAddForm if obj is None else BlacklistEntryChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.change_readonly

    @admin.display(description="Audit log")
    def audit_log(self, obj):
        rows = obj.audit_logs.select_related("changed_by").order_by("id")
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((log.created_at.strftime("%Y-%m-%d %H:%M"), log.action, log.changed_by or "",
              log.changes_json) for log in rows)))

    def get_search_results(self, request, queryset, search_term):
        oib_hash = oib_term_hash(search_term)
        if oib_hash:
            return queryset.filter(oib_hash=oib_hash), False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.status == BlacklistStatus.REMOVED and super(
        ).has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through the service
        return actions

    def delete_model(self, request, obj):
        blacklist_entry_delete(entry=obj, actor=request.user, request=request)

    def save_form(self, request, form, change):
        if change:
            return form.instance
        return blacklist_entry_create(actor=request.user, request=request,
                                      **{name: form.cleaned_data[name] for name in form.fields})

    def save_model(self, request, obj, form, change):
        if change and form.changed_data:
            blacklist_entry_update(
                entry=obj, changes={name: form.cleaned_data[name] for name in form.changed_data},
                actor=request.user, request=request,
            )

    def save_related(self, request, form, formsets, change):
        pass  # the audit log is written by the services; the form never saves itself

    def response_add(self, request, obj, post_url_continue=None):
        """A new entry: show the tickets its person already has before anything else."""
        if blacklist_tickets_found(entries=[obj]).orders:
            return HttpResponseRedirect(
                reverse("admin:accessctl_blacklistentry_tickets", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<id:entry_id>/tickets/", view(self.tickets_view),
                     name="accessctl_blacklistentry_tickets"), *super().get_urls()]

    def tickets_view(self, request, entry_id: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        entry = get_object_or_404(BlacklistEntry, pk=entry_id)
        return tickets_page(self, request, entries=[entry], title=f"Tickets held by {entry}",
                            back_url=reverse("admin:accessctl_blacklistentry_change",
                                             args=[entry.pk]))

    @admin.action(description="Remove selected entries (asks for the reason)",
                  permissions=["change"])
    def remove(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        entries = list(queryset.filter(status=BlacklistStatus.ACTIVE))
        if "confirm" not in request.POST:
            return TemplateResponse(request, "admin/accessctl/remove.html", {
                **self.admin_site.each_context(request), "title": "Remove from the blacklist",
                "entries": entries, "action": "remove"})
        try:
            for entry in entries:
                blacklist_entry_remove(entry=entry, actor=request.user, reason=reason,
                                       request=request)
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return None
        self.message_user(request, f"Removed {len(entries)} blacklist entries.")
        return None

    @admin.action(description="Restore selected entries", permissions=["change"])
    def restore(self, request, queryset):
        entries = list(queryset.filter(status=BlacklistStatus.REMOVED))
        for entry in entries:
            blacklist_entry_restore(entry=entry, actor=request.user, request=request)
        self.message_user(request, f"Restored {len(entries)} blacklist entries.")


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (comma or semicolon) or XLSX with the columns oib, "
                                     "first_name, last_name and optionally date_of_birth, "
                                     "reason, source, notes, valid_from, valid_until.")
    source = forms.ChoiceField(choices=BlacklistSource.choices,
                               initial=BlacklistSource.MUP_COURT_BAN,
                               help_text="For rows without a source of their own.")


@admin.register(BlacklistImportBatch)
class BlacklistImportBatchAdmin(ReadOnlyAdmin):
    list_display = ("imported_at", "file_name", "total_rows", "successful_rows",
                    "duplicate_rows", "failed_rows", "imported_by", "tickets_link")
    readonly_fields = ("file_name", "total_rows", "successful_rows", "duplicate_rows",
                       "failed_rows", "imported_by", "imported_at", "errors")
    exclude = ("error_report_json",)

    def has_add_permission(self, request):
        return request.user.has_perm("accessctl.add_blacklistentry")

    @admin.display(description="Refused lines")
    def errors(self, obj):
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>line {}</td><td>{}</td><td>{}</td></tr>",
            ((e["line"], e.get("field", ""), e["error"]) for e in obj.error_report_json)))

    @admin.display(description="Tickets")
    def tickets_link(self, obj):
        url = reverse("admin:accessctl_blacklistimportbatch_tickets", args=[obj.pk])
        return format_html('<a href="{}">Tickets of these people</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<id:batch_id>/tickets/", view(self.tickets_view),
                     name="accessctl_blacklistimportbatch_tickets"), *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        """The upload: the same service as the API; then the batch's tickets to confirm."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # one byte over the limit is enough for the reader to refuse the file
                content = upload.read(settings.BLACKLIST_IMPORT_MAX_BYTES + 1)
                result = blacklist_import(actor=request.user, file_name=upload.name,
                                          content=content,
                                          source=form.cleaned_data["source"], request=request)
            except DomainError as exc:
                form.add_error("file", exc.detail)
            else:
                batch = result.batch
                self.message_user(request, f"Imported {batch.successful_rows} of "
                                  f"{batch.total_rows} rows ({batch.duplicate_rows} duplicates, "
                                  f"{batch.failed_rows} refused).", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:accessctl_blacklistimportbatch_tickets", args=[batch.pk]))
        return TemplateResponse(request, "admin/accessctl/import.html", {
            **self.admin_site.each_context(request), "title": "Import the blacklist",
            "form": form})

    def tickets_view(self, request, batch_id: int):
        if not request.user.has_perm("accessctl.change_blacklistentry"):
            raise PermissionDenied
        batch = get_object_or_404(BlacklistImportBatch, pk=batch_id)
        active = batch.entries.filter(status=BlacklistStatus.ACTIVE)
        return tickets_page(self, request, entries=list(active),
                            title=f"Tickets held by the people of {batch.file_name}",
                            back_url=reverse("admin:accessctl_blacklistimportbatch_change",
                                             args=[batch.pk]))


@admin.register(BlacklistAuditLog)
class BlacklistAuditLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "entry_ref", "entry", "changed_by")
    list_filter = ("action",)
    list_select_related = ("entry", "changed_by")
    search_fields = ("=entry_ref",)


@admin.register(BlacklistViolation)
class BlacklistViolationAdmin(ReadOnlyAdmin):
    list_display = ("blocked_at", "action_type", "match", "oib_masked", "entry", "user",
                    "ip_address", "reference")
    list_filter = ("action_type", "blocked_at", "match")
    search_fields = ("reference", "user__email", "entry__last_name")
    search_help_text = "Search by reference, e-mail or name, or by a full 11-digit OIB."
    list_select_related = ("entry", "user", "match")
    date_hierarchy = "blocked_at"
    actions = ["export_csv"]

    def get_search_results(self, request, queryset, search_term):
        oib_hash = oib_term_hash(search_term)
        if oib_hash:
            return queryset.filter(oib_hash=oib_hash), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description="Export selected violations as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return violation_csv(queryset)
