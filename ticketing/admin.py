from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ticketing.models import ApiSession, Profile, SavedProfile, User


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
