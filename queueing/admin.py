"""Back office for the waiting room: a queue's rate, cap and window length are edited live
(every admission run reads them afresh). Entries are read-only: their writes belong to services."""

from django.contrib import admin

from queueing.models import QueueConfig, QueueEntry


@admin.register(QueueConfig)
class QueueConfigAdmin(admin.ModelAdmin):
    list_display = ["match", "is_active", "opens_at", "admission_rate_per_minute",
                    "max_open_windows", "window_minutes"]
    list_editable = ["is_active", "admission_rate_per_minute", "max_open_windows"]
    list_filter = ["is_active"]
    raw_id_fields = ["match"]
    readonly_fields = ["next_sort_key", "updated_at"]


@admin.register(QueueEntry)
class QueueEntryAdmin(admin.ModelAdmin):
    list_display = ["match", "user", "status", "sort_key", "joined_at", "last_heartbeat_at",
                    "window_expires_at"]
    list_filter = ["status"]
    list_select_related = ["match", "user"]
    search_fields = ["user__email"]
    ordering = ["match_id", "sort_key", "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
