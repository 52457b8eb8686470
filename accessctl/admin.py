from django import forms
from django.contrib import admin

from accessctl.models import BlacklistCheckAttempt, BlacklistEntry
from accessctl.services import (
    EDITABLE,
    blacklist_entry_clean_oib,
    blacklist_entry_create,
    blacklist_entry_deactivate,
    blacklist_entry_update,
)
from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.pii import keyed_hash


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


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    """Every write goes through accessctl.services (validated and audited): a new entry is
    created by the service in `save_form`, a change is applied by it in `save_model`."""

    list_display = ("last_name", "first_name", "oib_masked", "source", "valid_from",
                    "valid_until", "is_active", "created_at")
    list_filter = ("is_active", "source")
    search_fields = ("last_name",)
    search_help_text = "Search by last name, or by a full 11-digit OIB."
    actions = ["deactivate"]
    change_readonly = ("oib_masked", "is_active", "created_by", "created_at", "updated_at",
                       "deactivated_at", "deactivated_by", "deactivation_reason")

    @admin.display(description="OIB")
    def oib_masked(self, obj):
        return obj.oib_masked

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = BlacklistEntryAddForm if obj is None else BlacklistEntryChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.change_readonly

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if len(term) == 11 and term.isdigit():  # the column is ciphertext: match the hash
            return queryset.filter(oib_hash=keyed_hash(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        return False  # blocked attempts point at entries: deactivate instead

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
        pass  # no relations to save, and the form never saves itself

    @admin.action(description="Deactivate selected entries", permissions=["change"])
    def deactivate(self, request, queryset):
        entries = list(queryset.filter(is_active=True))
        for entry in entries:
            blacklist_entry_deactivate(entry=entry, actor=request.user, request=request,
                                       reason="Deactivated in Django Admin.")
        self.message_user(request, f"Deactivated {len(entries)} blacklist entries.")


@admin.register(BlacklistCheckAttempt)
class BlacklistCheckAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "context", "reference", "oib_masked", "entry", "user",
                    "ip_address")
    list_filter = ("context", "created_at")
    search_fields = ("reference", "user__email", "entry__last_name")
    list_select_related = ("entry", "user")
    date_hierarchy = "created_at"
