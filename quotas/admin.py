"""Back office for quotas (E7): the quota list with seat counts and filters, seats and
subquotas inline, cancellation with a confirmation page (E7-F7), the CSV import (wired from
quotas.admin_import), creation (quotas.admin_create), import batches with their error reports,
and masquerade (open the portal as the holder, through django-hijack).

Everything here is read-only on the models: quotas are created by the add form, the import or
the API, cancelled by `quota_cancel`; each write goes through its service."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from hijack import signals as hijack_signals
from hijack.views import AcquireUserView
from import_export.admin import ImportMixin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.audit import audit_record
from core.errors import DomainError
from core.roles import Role, user_has_role
from quotas.admin_create import quota_add_view
from quotas.admin_import import (
    QuotaConfirmImportForm,
    QuotaCsv,
    QuotaImportForm,
    QuotaImportResource,
)
from quotas.models import ImportBatch, Quota, QuotaSeat, QuotaSeatStatus, QuotaStatus, QuotaType
from quotas.services.cancellation import OPTIONS, cancellation_preview, quota_cancel
from quotas.services.common import holder_quotas, recipient_user


def _require_quota_manager(request) -> None:
    if not user_has_role(request.user, Role.QUOTA_MANAGER):
        raise PermissionDenied


# --- masquerade (django-hijack) ---------------------------------------------------------------

def masquerade_allowed(*, hijacker, hijacked) -> bool:
    """HIJACK_PERMISSION_CHECK. Superusers, Super Admins and Quota Managers may open the portal
    as a quota holder; a Quota Manager only as someone who holds a quota. Never as a staff or
    superuser account or anyone with a back-office role (no admin powers through the back door)."""
    if hijacked is None or not hijacked.is_active or hijacked.is_staff or hijacked.is_superuser:
        return False
    if hijacked.groups.exists() or not user_has_role(hijacker, Role.QUOTA_MANAGER):
        return False
    return (hijacker.is_superuser or user_has_role(hijacker, Role.SUPER_ADMIN)
            or holder_quotas(hijacked).exists())


def _masquerade_ended(sender, request, hijacker, hijacked, **kwargs):
    audit_record(actor=hijacked, action="masquerade.ended", object_type="ticketing.user",
                 object_id=hijacked.pk, after={"holder": hijacked.email}, request=request)


hijack_signals.hijack_ended.connect(_masquerade_ended, dispatch_uid="quotas.masquerade_ended")


def _portal_url(quota: Quota) -> str:
    return reverse("portal:quota", kwargs={"quota_id": quota.pk})


# --- quotas -----------------------------------------------------------------------------------

def seat_count_subquery(*statuses: str, delegated: bool = False):
    """A correlated COUNT per quota row (no joins multiplying rows, one query for the page):
    a root's own seats (not delegated), a subquota's delegated ones; or a root's delegated."""
    if delegated:
        seats = QuotaSeat.objects.filter(quota=OuterRef("pk"), subquota__isnull=False).exclude(
            status=QuotaSeatStatus.CANCELLED)
    else:
        seats = QuotaSeat.objects.filter(
            Q(quota=OuterRef("pk"), subquota__isnull=True) | Q(subquota=OuterRef("pk")),
            status__in=statuses)
    counted = seats.order_by().values(n=Func("id", function="COUNT"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class QuotaSeatInline(ReadOnlyInline):
    model = QuotaSeat
    fk_name = "quota"
    verbose_name_plural = "seats"
    fields = ("match_sector", "row", "seat", "status", "subquota", "claim", "ticket",
              "claimed_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "match_sector", "inventory", "subquota", "claim", "ticket")

    @admin.display(description="row")
    def row(self, seat):
        return seat.inventory.row_label if seat.inventory_id else "—"

    @admin.display(description="seat")
    def seat(self, seat):
        return seat.inventory.seat_number if seat.inventory_id else "standing"


class DelegatedSeatInline(QuotaSeatInline):
    fk_name = "subquota"
    verbose_name_plural = "delegated seats"


class SubquotaInline(ReadOnlyInline):
    model = Quota
    fk_name = "parent"
    verbose_name_plural = "subquotas"
    fields = ("recipient_email", "recipient_name", "quantity", "status", "created_at",
              "retracted_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Quota)
class QuotaAdmin(ImportMixin, admin.ModelAdmin):
    list_display = ("id", "recipient_email", "match", "kind", "quantity", "status", "allocated",
                    "reserved", "sold", "delegated", "batch_link", "expires_at", "actions_links")
    list_filter = ("match", "status", "batch", ("parent", admin.EmptyFieldListFilter))
    search_fields = ("recipient_email", "recipient_name", "subquotas__recipient_email")
    list_select_related = ("match", "batch")
    readonly_fields = ("match", "parent", "recipient_email", "recipient_name", "recipient_user",
                       "internal_note", "sector_codes", "quantity", "discount_code",
                       "discount_percent", "algorithm", "expires_at", "can_create_subquotas",
                       "deferred_payment", "transfer_allowed", "auto_send_email", "status",
                       "batch", "created_by", "invitation_sent_at", "cancelled_at",
                       "cancelled_by", "cancellation_type", "retracted_at", "created_at")
    fields = readonly_fields
    actions = ["cancel_action"]
    change_form_template = "admin/quotas/quota/change_form.html"

    # import-export
    resource_classes = [QuotaImportResource]
    import_form_class = QuotaImportForm
    confirm_form_class = QuotaConfirmImportForm
    skip_admin_log = True

    def get_queryset(self, request):
        # Petrol quotas have their own section (quotas.petrol.admin), made and cancelled there.
        return super().get_queryset(request).filter(quota_type=QuotaType.STANDARD).annotate(
            n_allocated=seat_count_subquery(QuotaSeatStatus.ALLOCATED),
            n_reserved=seat_count_subquery(QuotaSeatStatus.RESERVED),
            n_sold=seat_count_subquery(QuotaSeatStatus.SOLD),
            n_delegated=seat_count_subquery(delegated=True))

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [DelegatedSeatInline] if obj.is_subquota else [QuotaSeatInline, SubquotaInline]

    def has_add_permission(self, request):
        return user_has_role(request.user, Role.QUOTA_MANAGER)

    def add_view(self, request, form_url="", extra_context=None):
        """Our own form over `quota_create`: a quota is never saved without its seats."""
        return quota_add_view(self, request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: seats go back to the sale

    # --- columns

    @admin.display(description="kind")
    def kind(self, quota):
        return "subquota" if quota.parent_id else "quota"

    @admin.display(description="allocated", ordering="n_allocated")
    def allocated(self, quota):
        return quota.n_allocated

    @admin.display(description="reserved", ordering="n_reserved")
    def reserved(self, quota):
        return quota.n_reserved

    @admin.display(description="sold", ordering="n_sold")
    def sold(self, quota):
        return quota.n_sold

    @admin.display(description="delegated", ordering="n_delegated")
    def delegated(self, quota):
        return quota.n_delegated if not quota.parent_id else "—"

    @admin.display(description="batch", ordering="batch")
    def batch_link(self, quota):
        if not quota.batch_id:
            return "—"
        url = reverse("admin:quotas_importbatch_change", args=[quota.batch_id])
        return format_html('<a href="{}">#{}</a>', url, quota.batch_id)

    @admin.display(description="")
    def actions_links(self, quota):
        links = [(reverse("admin:quotas_quota_masquerade", args=[quota.pk]), "Masquerade")]
        if not quota.parent_id and quota.status != QuotaStatus.CANCELLED:
            links.append((reverse("admin:quotas_quota_cancel", args=[quota.pk]), "Cancel"))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description="sectors")
    def sector_codes(self, quota):
        return ", ".join(s.code for s in quota.sectors.all()) or "—"

    # --- pages

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<id:quota_id>/cancel/", view(self.cancel_view), name="quotas_quota_cancel"),
            path("<id:quota_id>/masquerade/", view(self.masquerade_view),
                 name="quotas_quota_masquerade"),
            *super().get_urls(),
        ]

    @admin.action(description="Cancel the selected quota…")
    def cancel_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one quota to cancel at a time.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:quotas_quota_cancel",
                                            args=[queryset.get().pk]))

    def cancel_view(self, request, quota_id: int):
        """What each option would cancel, then `quota_cancel` with the chosen one."""
        _require_quota_manager(request)
        quota = get_object_or_404(Quota.objects.select_related("match"), pk=quota_id)
        change_url = reverse("admin:quotas_quota_change", args=[quota.pk])
        if request.method == "POST":
            try:
                done = quota_cancel(actor=request.user, quota_id=quota.pk,
                                    option=request.POST.get("option", ""), request=request)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(request, f"Quota {quota.pk} cancelled: {done.cancelled} "
                                           f"seat(s) returned to the sale; sold tickets stay "
                                           f"valid ({done.kept.get('SOLD', 0)}).",
                                  messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        preview = cancellation_preview(quota)
        options = [{"value": value, "label": option.label,
                    "count": preview[option]} for value, option in OPTIONS.items()]
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": f"Cancel quota {quota.pk}", "quota": quota, "options": options,
                   "sold": preview["sold"], "change_url": change_url,
                   "subquotas": quota.subquotas.exclude(
                       status__in=[QuotaStatus.CANCELLED, QuotaStatus.RETRACTED]).count()}
        return TemplateResponse(request, "admin/quotas/quota/cancel.html", context)

    def masquerade_view(self, request, quota_id: int):
        """Confirm, then sign in as the holder through django-hijack (which keeps the admin in
        the session for the way back) and open the holder's portal."""
        _require_quota_manager(request)
        quota = get_object_or_404(Quota.objects.select_related("match"), pk=quota_id)
        change_url = reverse("admin:quotas_quota_change", args=[quota.pk])
        if request.method == "POST":
            holder = recipient_user(quota.recipient_email)
            if not masquerade_allowed(hijacker=request.user, hijacked=holder):
                self.message_user(request, f"{holder.email} is a back-office account or "
                                           "inactive: masquerade is not allowed.",
                                  messages.ERROR)
                return HttpResponseRedirect(change_url)
            audit_record(actor=request.user, action="masquerade.started", obj=quota,
                         request=request, after={"holder": holder.email,
                                                 "holder_user_id": holder.pk})
            data = request.POST.copy()
            data.update({"user_pk": str(holder.pk), "next": _portal_url(quota)})
            request.POST = data
            response = AcquireUserView.as_view()(request)
            if response.status_code == 302:  # signed in as the holder: remember the way back
                request.session["masquerade_return_url"] = change_url
            return response
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": f"Open the portal as {quota.recipient_email}", "quota": quota,
                   "change_url": change_url}
        return TemplateResponse(request, "admin/quotas/quota/masquerade.html", context)

    # --- import-export

    def has_import_permission(self, request):
        return user_has_role(request.user, Role.QUOTA_MANAGER)

    def get_import_formats(self):
        return [QuotaCsv]

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, DomainError):
            form.add_error("import_file", e.detail)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["match_ids"] = import_form.cleaned_data["match_ids"]
        return initial

    def process_result(self, result, request):
        batch = result.outcome.batch
        self.message_user(request, f"Import {batch.pk}: {batch.quotas_created} quota(s) created "
                                   f"from {batch.successful_rows} line(s); {batch.failed_rows} "
                                   "line(s) failed.",
                          messages.WARNING if batch.failed_rows else messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:quotas_importbatch_change", args=[batch.pk]))


# --- import batches ---------------------------------------------------------------------------

@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """Batches are made by the import (Quotas → Import)."""

    list_display = ("id", "file_name", "match_ids", "total_rows", "successful_rows",
                    "failed_rows", "quotas_created", "imported_by", "imported_at")
    list_select_related = ("imported_by",)
    search_fields = ("file_name",)
    fields = ("file_name", "match_ids", "total_rows", "successful_rows", "failed_rows",
              "quotas_created", "imported_by", "imported_at", "errors", "quota_list")
    readonly_fields = fields

    @admin.display(description="error report")
    def errors(self, batch):
        if not batch.error_report:
            return "No errors."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("line"), e.get("field") or "—", e.get("match_id") or "—", e.get("error"))
             for e in batch.error_report))
        return format_html('<table><thead><tr><th>line</th><th>field</th><th>match</th>'
                           '<th>error</th></tr></thead><tbody>{}</tbody></table>', rows)

    @admin.display(description="quotas")
    def quota_list(self, batch):
        url = reverse("admin:quotas_quota_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">{} quota(s) of this batch</a>', url,
                           batch.quotas.count())
