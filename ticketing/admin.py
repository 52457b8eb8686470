from functools import partial

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import path

from core.admin import ReadOnlyInline
from ticketing.models import ApiSession, Order, OrderItem, Profile, SavedProfile, Ticket, User
from ticketing.support.admin import ticket_print_view
from ticketing.support.selectors import support_criteria, tickets_search


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "status", "drupal_user_id", "is_staff", "created_at")
    list_filter = ("status", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "drupal_user_id")
    readonly_fields = ("created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password", "status", "drupal_user_id")}),
        ("Back-office access", {"fields": ("is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2",
                                                               "is_staff", "groups")}),)
    filter_horizontal = ("groups",)


class IdentityAdmin(admin.ModelAdmin):
    """OIB and passport show masked and cannot be edited here: changes go through the API's
    rules (checksum, uniqueness, immutability) so they are validated and audited."""

    list_display = ("full_name", "user", "nationality", "oib_masked", "date_of_birth")
    list_filter = ("nationality",)
    search_fields = ("first_name", "last_name", "user__email")
    raw_id_fields = ("user",)
    exclude = ("oib", "passport_number")
    readonly_fields = ("oib_masked", "passport_masked", "created_at", "updated_at")


@admin.register(Profile)
class ProfileAdmin(IdentityAdmin):
    list_display = (*IdentityAdmin.list_display, "is_complete")


@admin.register(SavedProfile)
class SavedProfileAdmin(IdentityAdmin):
    list_display = (*IdentityAdmin.list_display, "relationship")


@admin.register(ApiSession)
class ApiSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "device_id", "created_at", "last_used_at", "expires_at",
                    "revoked_at", "revoke_reason")
    list_filter = ("revoke_reason",)
    search_fields = ("user__email", "device_id")
    readonly_fields = [f.name for f in ApiSession._meta.fields]

    def has_add_permission(self, request):
        return False


# --- Orders and tickets -----------------------------------------------------------------------

class OrderItemInline(ReadOnlyInline):
    """Holders show masked; every change to an order goes through the checkout services."""

    model = OrderItem
    fields = ("full_name", "holder_source", "oib_masked", "nationality", "is_minor",
              "match_sector", "inventory", "ga_hold", "unit_price")
    readonly_fields = fields


class TicketInline(ReadOnlyInline):
    model = Ticket
    fields = ("barcode", "status", "holder_name", "inventory", "issued_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "buyer", "match", "status", "total_amount", "created_at",
                    "paid_at")
    list_filter = ("status", "match")
    search_fields = ("number", "buyer__email")
    list_select_related = ("buyer", "match")
    inlines = (OrderItemInline, TicketInline)
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("barcode", "holder_name", "match", "order", "status", "issued_at")
    list_filter = ("status",)
    search_fields = ("=barcode", "order__number", "holder_name")
    search_help_text = ("Search by barcode, order number or holder name; or by a full OIB, an "
                        "email or a phone number (E10-F1, the support search).")
    list_select_related = ("match", "order")
    readonly_fields = [f.name for f in Ticket._meta.fields]
    change_form_template = "admin/ticketing/ticket/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view(partial(ticket_print_view, self))
        return [path("<id:ticket_id>/print/", view, name="ticketing_ticket_print"),
                *super().get_urls()]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        criteria = support_criteria(term)
        if criteria:
            ids = [t.pk for t in tickets_search(**criteria)]
            return queryset.filter(pk__in=ids), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
