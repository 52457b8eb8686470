"""Django Admin for promo codes (US7): uses shown and never editable, the orders that used a
code inline and read-only, every change audited like the admin API's."""

from django import forms
from django.contrib import admin
from django.db.models import F

from core.audit import audit_record
from ticketing.promotions.models import PromoCode, PromoCodeApplication
from ticketing.promotions.services.admin import promo_snapshot


class ApplicationInline(admin.TabularInline):
    model = PromoCodeApplication
    fields = readonly_fields = ("order", "buyer", "discount_amount", "status", "created_at")
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PromoCodeForm(forms.ModelForm):
    """Carries the version the editor read: a save after someone else's (admin or API) is
    refused instead of silently undoing theirs."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PromoCode
        fields = ("match", "code", "kind", "value", "valid_from", "valid_until", "max_uses",
                  "max_uses_per_buyer", "price_categories", "match_sectors", "packages",
                  "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            # The admin's change view runs in one transaction: the row stays locked through
            # the save, so neither another editor nor a checkout moves it in between.
            current = (PromoCode.objects.select_for_update().filter(pk=self.instance.pk)
                       .values("version", "uses_count").first())
            if current is None or data.get("seen_version") != current["version"]:
                raise forms.ValidationError("Someone else changed this code since you opened "
                                            "it: reload the page and make your change again.")
            max_uses = data.get("max_uses")
            if max_uses is not None and max_uses < current["uses_count"]:
                self.add_error("max_uses", f"{current['uses_count']} uses are taken already: "
                                           "the limit cannot be lower.")
        return data


@admin.register(PromoCode)
class PromoCodeAdmin(admin.ModelAdmin):
    form = PromoCodeForm
    list_display = ("code", "match", "kind", "value", "uses", "valid_from", "valid_until",
                    "is_active")
    list_filter = ("is_active", "kind")
    search_fields = ("code", "match__home_team", "match__away_team")
    list_select_related = ("match",)
    filter_horizontal = ("price_categories", "match_sectors", "packages")
    readonly_fields = ("uses_count", "version", "created_by", "created_at", "updated_at")
    inlines = [ApplicationInline]

    @admin.display(description="Uses")
    def uses(self, obj):
        return f"{obj.uses_count} / {obj.max_uses if obj.max_uses is not None else '∞'}"

    def has_delete_permission(self, request, obj=None):
        # A used code is the sales' history: deactivate it instead.
        if obj is not None and (obj.uses_count or obj.applications.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.code = obj.code.upper()
        obj._audit_before = (promo_snapshot(PromoCode.objects.get(pk=obj.pk))
                             if change else None)
        if change:
            obj.version = F("version") + 1  # the admin API's editors see their version stale
            # Never uses_count: a checkout may have taken a use since this form was read.
            obj.save(update_fields=[f.name for f in PromoCode._meta.concrete_fields
                                    if f.name not in ("id", "uses_count", "created_by",
                                                      "created_at")])
        else:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit_record(actor=request.user, request=request, obj=obj,
                     action="promo_code.updated" if change else "promo_code.created",
                     before=getattr(obj, "_audit_before", None), after=promo_snapshot(obj))

    def delete_model(self, request, obj):
        audit_record(actor=request.user, request=request, obj=obj, action="promo_code.deleted",
                     before=promo_snapshot(obj))
        super().delete_model(request, obj)


@admin.register(PromoCodeApplication)
class PromoCodeApplicationAdmin(admin.ModelAdmin):
    list_display = ("promo_code", "order", "buyer", "discount_amount", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("promo_code__code", "order__number", "buyer__email")
    list_select_related = ("promo_code", "order", "buyer")
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
