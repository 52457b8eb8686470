"""Django Admin for ticket packages: drag-and-drop display order (django-admin-sortable2), the
options sortable inline, stock shown and never editable, the image re-encoded through
`services.images`, a live sales summary above the list, every change audited like the admin
API's. Purchases and option answers are the sales' history: read-only."""

import json
from datetime import datetime, timedelta

from adminsortable2.admin import CustomInlineFormSet, SortableAdminMixin, SortableInlineAdminMixin
from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyAdmin
from core.audit import audit_record
from core.errors import ValidationFailed
from core.locks import LockBusy, lock_one
from core.tables import csv_response
from seating.models import Match
from ticketing.packages.models import (
    CHOICES_MAX,
    CHOICES_MIN,
    OPTIONS_MAX,
    OptionKind,
    OptionResponse,
    Package,
    PackageOption,
    PackagePurchase,
)
from ticketing.packages.services import sales
from ticketing.packages.services.admin import package_snapshot
from ticketing.packages.services.images import image_check, image_remove, image_store

SUMMARY_POLL_MS = 3000
BADGE = ("display:inline-block;padding:1px 6px;margin-right:4px;border-radius:8px;"
         "font-size:11px;font-weight:bold;color:#fff;background:{}")
# Never written by the admin's save: the stock counters move only through services.stock.
NOT_SAVED = ("id", "sold_count", "held_count", "created_by", "created_at")


def sales_summary(match_id: int | None = None) -> dict:
    """What the list's summary shows and polls: each package's stock, the packages sold and
    the revenue (net of discounts) of completed orders, for one match or all of them."""
    summary = sales.sales_summary(sales.SalesFilter(match_id=match_id))
    stock = ("id", "sold_count", "held_count", "available", "sold_out")
    return {"packages": [{key: row[key] for key in stock} for row in summary.packages],
            "sold": summary.totals["sold"], "revenue": f"{summary.totals['net_amount']:.2f}"}


# --- options ---------------------------------------------------------------------------------

ANSWERED = forms.ValidationError("This option has answers: deactivate it instead.",
                                 code="option_answered")


class PackageOptionForm(forms.ModelForm):
    class Meta:
        model = PackageOption
        fields = ("kind", "label", "choices", "is_required", "is_active")

    def clean(self):
        data = super().clean()
        choices = data.get("choices")
        if "choices" not in data:
            return data  # not valid JSON: the field has said so
        if data.get("kind") == OptionKind.MULTI_SELECT:
            values = ([c.strip() if isinstance(c, str) else c for c in choices]
                      if isinstance(choices, list) else None)
            if (values is None or not all(isinstance(c, str) and c for c in values)
                    or len(set(values)) != len(values)
                    or not CHOICES_MIN <= len(values) <= CHOICES_MAX):
                self.add_error("choices", f"A multiple choice needs {CHOICES_MIN} to "
                                          f"{CHOICES_MAX} distinct, non-empty answers, e.g. "
                                          '["S", "M", "L"].')
            else:
                data["choices"] = values
        elif choices in (None, "", [], {}):
            data["choices"] = []
        else:
            self.add_error("choices", "Only a multiple choice option has answers to choose.")
        return data


class PackageOptionFormSet(CustomInlineFormSet):
    def _answered_deleted(self) -> bool:
        return any(self.can_delete and self._should_delete_form(form) and form.instance.pk
                   and form.instance.responses.exists() for form in self.forms)

    def full_clean(self):
        super().full_clean()
        # The admin's own check (answers PROTECT their option) refuses the deletion before
        # clean() runs, listing the answers: say what to do instead.
        if self.is_bound and self._answered_deleted():
            others = [error for error in self._non_form_errors.as_data()
                      if error.code not in ("deleting_protected", ANSWERED.code)]
            self._non_form_errors = self.error_class([ANSWERED, *others], error_class="nonform",
                                                     renderer=self.renderer)

    def clean(self):
        super().clean()
        if self._answered_deleted():
            raise ANSWERED
        kept = sum(1 for form in self.forms
                   if not (self.can_delete and self._should_delete_form(form))
                   and (form.instance.pk or form.has_changed()))
        if kept > OPTIONS_MAX:
            raise forms.ValidationError(f"A package has at most {OPTIONS_MAX} options.",
                                        code="too_many_options")


class PackageOptionInline(SortableInlineAdminMixin, admin.TabularInline):
    model = PackageOption
    form = PackageOptionForm
    formset = PackageOptionFormSet
    fields = ("kind", "label", "choices", "is_required", "is_active")
    extra = 0
    max_num = OPTIONS_MAX


# --- packages --------------------------------------------------------------------------------

class PackageForm(forms.ModelForm):
    """Carries the version the editor read: a save after someone else's (admin or API) is
    refused instead of silently undoing theirs. The image is an upload checked and re-encoded
    by `services.images`, never stored as sent."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    image = forms.FileField(required=False, widget=forms.FileInput,
                            help_text="JPEG, PNG or WebP; re-encoded, with a 256x256 thumbnail")
    remove_image = forms.BooleanField(required=False, label="Remove the image")

    class Meta:
        model = Package
        fields = ("match", "name", "description", "price", "seats_per_package", "zones",
                  "quantity_limit", "is_sponsorship", "is_active", "image")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.image_upload = None
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        upload = data.get("image")
        # The model's image is written by image_store/image_remove only: never the raw upload.
        data["image"] = self.instance.image
        if isinstance(upload, UploadedFile):
            try:
                image_check(upload)
            except ValidationFailed as exc:
                self.add_error("image", exc.detail)
            else:
                self.image_upload = upload
        match_id = data["match"].pk if data.get("match") else self.instance.match_id
        zones = data.get("zones")
        if zones is not None and match_id is not None:
            strangers = [zone.name for zone in zones if zone.match_id != match_id]
            if strangers:
                self.add_error("zones", "Not zones of this package's match: "
                                        f"{', '.join(strangers)}.")
        if self.instance.pk:
            # The admin's change view runs in one transaction: the row stays locked through
            # the save, so neither another editor nor a checkout moves it in between.
            try:
                current = lock_one(Package.objects.filter(pk=self.instance.pk))
            except (Package.DoesNotExist, LockBusy):
                current = None
            if current is None or data.get("seen_version") != current.version:
                raise forms.ValidationError("Someone else changed this package since you "
                                            "opened it: reload the page and make your change "
                                            "again.")
            limit = data.get("quantity_limit")
            if limit is not None and limit < current.taken:
                self.add_error("quantity_limit",
                               f"{current.sold_count} sold and {current.held_count} in carts: "
                               f"the limit cannot go below {current.taken}.")
        return data


@admin.register(Package)
class PackageAdmin(SortableAdminMixin, admin.ModelAdmin):
    form = PackageForm
    change_list_template = "admin/packages/package/change_list.html"
    list_display = ("name", "match", "price", "seats_per_package", "capacity", "badges",
                    "sold_count", "is_active")
    list_filter = ("match", "is_sponsorship", "is_active")
    search_fields = ("name", "match__home_team", "match__away_team")
    list_select_related = ("match",)
    filter_horizontal = ("zones",)
    fields = ("match", "name", "description", "price", "seats_per_package", "zones",
              "quantity_limit", "is_sponsorship", "is_active", "image", "remove_image",
              "thumbnail_preview", "seen_version", "sold_count", "held_count", "version",
              "created_by", "created_at", "updated_at")
    readonly_fields = ("sold_count", "held_count", "version", "created_by", "created_at",
                       "updated_at", "thumbnail_preview")
    inlines = [PackageOptionInline]

    def get_readonly_fields(self, request, obj=None):
        # A package stays with its match: its seats, sales and codes are that match's.
        fields = super().get_readonly_fields(request, obj)
        return ("match", *fields) if obj is not None else fields

    @admin.display(description="Capacity")
    def capacity(self, obj):
        if obj.quantity_limit is None:
            return format_html('<span data-package-taken="{}">Unlimited ({} sold)</span>',
                               obj.pk, obj.sold_count)
        return format_html(
            '<progress data-package-capacity="{}" value="{}" max="{}" '
            'title="{} sold, {} in carts">{} / {}</progress> '
            '<span data-package-taken="{}">{} / {}</span>',
            obj.pk, min(obj.taken, obj.quantity_limit), max(obj.quantity_limit, 1),
            obj.sold_count, obj.held_count, obj.taken, obj.quantity_limit,
            obj.pk, obj.taken, obj.quantity_limit)

    @admin.display(description="Badges")
    def badges(self, obj):
        badges = []
        if obj.sold_out:
            badges.append((BADGE.format("#ba2121"), "Sold Out"))
        if obj.is_sponsorship:
            badges.append((BADGE.format("#7b2cbf"), "Sponsorship"))
        return format_html_join("", '<span class="package-badge" style="{}">{}</span>', badges)

    @admin.display(description="Thumbnail")
    def thumbnail_preview(self, obj):
        if not obj.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" width="128" height="128">', obj.thumbnail.url)

    # --- the live summary ------------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        return [path("summary/", self.admin_site.admin_view(self.summary_view),
                     name=f"{opts.app_label}_{opts.model_name}_summary"),
                *super().get_urls()]

    def summary_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        match = request.GET.get("match", "")
        if match and not match.isdigit():
            return JsonResponse({"error": "invalid", "detail": "match: a match id."}, status=400)
        return JsonResponse(sales_summary(int(match) if match else None))

    def changelist_view(self, request, extra_context=None):
        match = request.GET.get("match__id__exact", "")
        match_id = int(match) if match.isdigit() else None
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_summary")
        extra_context = {
            **(extra_context or {}),
            "package_summary": sales_summary(match_id),
            "package_summary_config": {
                "url": f"{url}?match={match_id}" if match_id is not None else url,
                "interval_ms": SUMMARY_POLL_MS,
            },
        }
        return super().changelist_view(request, extra_context)

    # --- saving ----------------------------------------------------------------------------

    def update_order(self, request):
        """A drag and drop, audited like the admin API's reorder (per match, in its
        transaction). adminsortable2 writes only `display_order`, never the counters."""
        with transaction.atomic():
            response = super().update_order(request)
            if response.status_code == 200:
                moved = {int(pk): position for pk, position
                         in json.loads(request.body).get("updatedItems") or []}
                matches: dict[int, dict] = {}
                for match_id, pk in (Package.objects.filter(pk__in=moved)
                                     .values_list("match_id", "pk")):
                    matches.setdefault(match_id, {})[pk] = moved[pk]
                for match_id, positions in matches.items():
                    audit_record(actor=request.user, request=request, obj=Match(pk=match_id),
                                 action="package.reordered", after={"moved": positions})
        return response

    def has_delete_permission(self, request, obj=None):
        # A sold package is the sales' history: deactivate it instead.
        if obj is not None and (obj.taken or obj.purchases.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj._audit_before = (package_snapshot(Package.objects.get(pk=obj.pk))
                             if change else None)
        if form.image_upload is not None:
            form.image_upload.seek(0)  # image_check has read it
            image_store(obj, form.image_upload)
        elif form.cleaned_data.get("remove_image"):
            image_remove(obj)
        if change:
            obj.version = F("version") + 1  # the admin API's editors see their version stale
            # Never the counters: a checkout may have moved them since this form was read.
            obj.save(update_fields=[f.name for f in Package._meta.concrete_fields
                                    if f.name not in NOT_SAVED])
        else:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)  # sortable2: last in order
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit_record(actor=request.user, request=request, obj=obj,
                     action="package.updated" if change else "package.created",
                     before=getattr(obj, "_audit_before", None), after=package_snapshot(obj))

    def delete_model(self, request, obj):
        audit_record(actor=request.user, request=request, obj=obj, action="package.deleted",
                     before=package_snapshot(obj))
        super().delete_model(request, obj)
        image_remove(obj)


# --- the sales' history: read-only ------------------------------------------------------------

class SalesChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        page = list(self.result_list)  # evaluated once: the rows the page then draws
        holders = sales.holders_of(page)
        for purchase in page:
            purchase.holders = holders.get(purchase.pk, [])


def sales_filter(params) -> sales.SalesFilter:
    """The sales tracking filter of the list's own filters (match, package, sponsorship, the
    date drill-down), for the CSV download of what the list shows."""
    def number(key):
        value = params.get(key, "")
        return int(value) if value.isdigit() else None

    date_from = date_to = None
    year, month, day = (number(f"created_at__{part}") for part in ("year", "month", "day"))
    if year:
        try:
            start = datetime(year, month or 1, day or 1, tzinfo=timezone.get_current_timezone())
        except (ValueError, OverflowError):
            raise ValidationFailed("created_at: not a date.", code="invalid",
                                   field="created_at") from None
        date_from = start
        date_to = (start + timedelta(days=1) if day
                   else start.replace(year=year + 1) if not month
                   else (start + timedelta(days=32)).replace(day=1))
    return sales.SalesFilter(match_id=number("package__match__id__exact"),
                             package_id=number("package__id__exact"),
                             sponsorship_only=params.get("package__is_sponsorship__exact") == "1",
                             date_from=date_from, date_to=date_to)


@admin.register(PackagePurchase)
class PackagePurchaseAdmin(ReadOnlyAdmin):
    """Sales tracking (US9) in the admin: the paid purchases, newest first, with their buyer,
    promo code, amounts, and each ticket's holder, seat and answers; a CSV of what it shows."""

    change_list_template = "admin/packages/packagepurchase/change_list.html"
    list_display = ("order_number", "status", "buyer", "package", "quantity", "promo",
                    "gross_amount", "discount_amount", "net_amount", "fee_amount", "holders",
                    "created_at")
    list_filter = ("package__match", "package", "package__is_sponsorship")
    date_hierarchy = "created_at"
    search_fields = ("order__number", "order__buyer__email", "package__name")
    readonly_fields = ("order", "package", "quantity", "promo", "gross_amount",
                       "discount_amount", "net_amount", "fee_amount", "holders", "cart_line",
                       "created_at")

    def get_queryset(self, request):
        return sales.purchases(sales.SalesFilter(match_id=None))

    def get_changelist(self, request, **kwargs):
        return SalesChangeList

    @admin.display(description="Order", ordering="order__number")
    def order_number(self, obj):
        return obj.order.number

    @admin.display(description="Status")
    def status(self, obj):
        return obj.order.status

    @admin.display(description="Buyer", ordering="order__buyer__email")
    def buyer(self, obj):
        return obj.order.buyer.email

    @admin.display(description="Promo code")
    def promo(self, obj):
        return obj.promo_code or "—"

    @admin.display(description="Holders and answers")
    def holders(self, obj):
        rows = getattr(obj, "holders", None)
        if rows is None:  # the change page: one purchase
            rows = sales.holders_of([obj]).get(obj.pk, [])
        return format_html_join(
            "", '<div class="package-holder">{} · {} {}-{}{}</div>',
            ((h["name"], h["sector"], h["row"] or "", h["seat"] or "",
              "".join(f" · {a['label']}: {a['display']}" for a in h["answers"]))
             for h in rows)) or "—"

    def get_urls(self):
        opts = self.model._meta
        return [path("export.csv", self.admin_site.admin_view(self.csv_view),
                     name=f"{opts.app_label}_{opts.model_name}_csv"),
                *super().get_urls()]

    def csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            f = sales_filter(request.GET)
        except ValidationFailed as exc:
            return JsonResponse({"error": exc.code, "detail": exc.detail}, status=400)
        name = f"package-sales-match-{f.match_id}.csv" if f.match_id else "package-sales.csv"
        return csv_response(file_name=name, header=sales.CSV_HEADER, rows=sales.csv_rows(f))


@admin.register(OptionResponse)
class OptionResponseAdmin(ReadOnlyAdmin):
    list_display = ("order_item", "option", "answer")
    search_fields = ("option__label",)
    list_select_related = ("order_item", "option")
    readonly_fields = ("order_item", "option", "value")

    @admin.display(description="Answer")
    def answer(self, obj):
        return obj.display
