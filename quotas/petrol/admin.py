"""Petrol in Django Admin (Match Manager): the Petrol quotas (made, shown with the station QR
code to print, cancelled, all through quotas.petrol.services), the stations and their staff,
and the PINs, reservations and sales as read-only records."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from quotas.admin import seat_count_subquery
from quotas.models import QuotaSeatStatus
from quotas.petrol.models import (
    PetrolPin,
    PetrolQuota,
    PetrolReservation,
    PetrolSale,
    PetrolStaffMember,
    PetrolStation,
)
from quotas.petrol.services import quotas
from quotas.services.cancellation import OPTIONS, cancellation_preview
from quotas.services.creation import OPEN_MATCH_STATUSES
from seating.models import Match, MatchSector, MatchSectorStatus


class PetrolQuotaForm(forms.Form):
    match = forms.ModelChoiceField(Match.objects.filter(is_deleted=False,
                                                        status__in=OPEN_MATCH_STATUSES)
                                   .order_by("kick_off_time"))
    quantity = forms.IntegerField(min_value=1)
    sectors = forms.ModelMultipleChoiceField(
        MatchSector.objects.filter(status=MatchSectorStatus.ACTIVE,
                                   match__status__in=OPEN_MATCH_STATUSES)
        .select_related("match").order_by("match__kick_off_time", "display_order", "code"),
        required=False, help_text="Sectors of the chosen match (none: any sector).")
    recipient_email = forms.EmailField(label="Partner email",
                                       help_text="The petrol partner, who owes the takings")
    recipient_name = forms.CharField(label="Partner name", required=False, max_length=200)
    internal_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(PetrolQuota)
class PetrolQuotaAdmin(admin.ModelAdmin):
    list_display = ("id", "match", "quantity", "status", "sold", "recipient_email",
                    "created_at", "qr_link")
    list_filter = ("status", "match")
    list_select_related = ("match",)
    readonly_fields = ("match", "quantity", "status", "recipient_email", "recipient_name",
                       "deferred_payment", "created_by", "created_at", "cancelled_at",
                       "deeplink", "station_qr")
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_sold=seat_count_subquery(QuotaSeatStatus.SOLD))

    @admin.display(description="sold", ordering="n_sold")
    def sold(self, quota):
        return quota.n_sold

    @admin.display(description="QR")
    def qr_link(self, quota):
        return format_html('<a href="{}">QR code</a>',
                           reverse("admin:petrol_petrolquota_change", args=[quota.pk]))

    def deeplink(self, quota):
        return quotas.deeplink(quota)

    @admin.display(description="Station QR code (print it for the counter)")
    def station_qr(self, quota):
        url = reverse("admin:petrol_petrolquota_qr", args=[quota.pk])
        return format_html('<img src="{}" width="300" height="300" alt="{}"><br>'
                           '<a href="{}" download>Download PNG</a>', url,
                           quotas.deeplink(quota), url)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<id:quota_id>/qr.png", view(self.qr_view), name="petrol_petrolquota_qr"),
                path("<id:quota_id>/cancel/", view(self.cancel_view),
                     name="petrol_petrolquota_cancel"),
                *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"cancel_url": reverse("admin:petrol_petrolquota_cancel", args=[object_id])}
        return super().change_view(request, object_id, form_url, extra | (extra_context or {}))

    def qr_view(self, request, quota_id: int):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        return HttpResponse(quotas.station_qr_png(quotas.petrol_quota(quota_id)),
                            content_type="image/png")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = PetrolQuotaForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            match, sectors = data.pop("match"), data.pop("sectors")
            try:
                quota = quotas.petrol_quota_create(
                    actor=request.user, match_id=match.pk, request=request,
                    sector_ids=[s.pk for s in sectors], **data)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(request, f"Petrol quota {quota.pk} created: print its QR "
                                  "code for the stations.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:petrol_petrolquota_change",
                                                    args=[quota.pk]))
        return TemplateResponse(request, "admin/service_form.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": "Add Petrol quota", "form": form, "button": "Create",
            "intro": "The match's Petrol quota: deferred payment (the partner owes what its "
                     "stations take), no subquotas, no transfers. One per match."})

    def cancel_view(self, request, quota_id: int):
        if not self.has_view_permission(request) or not self.has_add_permission(request):
            return HttpResponse(status=403)
        quota = get_object_or_404(PetrolQuota, pk=quota_id)
        if request.method == "POST":
            try:
                done = quotas.petrol_quota_cancel(actor=request.user, quota_id=quota.pk,
                                                  option=request.POST.get("option", ""),
                                                  request=request)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(request, f"Petrol quota {quota.pk} cancelled: "
                                  f"{done.cancelled} seat(s) back on sale.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:petrol_petrolquota_changelist"))
        return TemplateResponse(request, "admin/petrol/cancel.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": f"Cancel Petrol quota {quota.pk}", "quota": quota,
            "preview": cancellation_preview(quota), "options": list(OPTIONS)})


@admin.register(PetrolStation)
class PetrolStationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "address", "is_active")
    search_fields = ("name", "code")


@admin.register(PetrolStaffMember)
class PetrolStaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "station")
    list_select_related = ("user", "station")
    autocomplete_fields = ("station",)
    raw_id_fields = ("user",)


@admin.register(PetrolPin)
class PetrolPinAdmin(ReadOnlyAdmin):
    list_display = ("pin", "user", "match", "quantity", "status", "expires_at", "used_at")
    list_filter = ("status",)
    search_fields = ("=pin", "user__email")
    list_select_related = ("user", "match")
    exclude = ("ticket_holders",)


@admin.register(PetrolReservation)
class PetrolReservationAdmin(ReadOnlyAdmin):
    list_display = ("id", "pin", "station", "staff", "seats", "status", "reserved_at",
                    "expires_at")
    list_filter = ("status", "station")
    list_select_related = ("pin", "station", "staff")


@admin.register(PetrolSale)
class PetrolSaleAdmin(ReadOnlyAdmin):
    list_display = ("id", "order", "station", "payment_method", "payment_reference",
                    "total_amount", "processed_by", "processed_at")
    list_filter = ("payment_method", "station")
    list_select_related = ("order", "station", "processed_by")
