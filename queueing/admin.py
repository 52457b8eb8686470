"""Back office for the waiting room: a queue's rate, cap and window length are edited live
(every admission run reads them afresh). Entries are read-only: their writes belong to services."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone

from core.admin import ReadOnlyAdmin
from queueing.models import QueueConfig, QueueEntry, QueueStatus
from queueing.services import queue_admission_pause


@admin.register(QueueConfig)
class QueueConfigAdmin(admin.ModelAdmin):
    list_display = ["match", "is_active", "admission_paused", "waiting", "open_windows",
                    "admission_rate_per_minute", "max_open_windows", "window_minutes",
                    "opens_at"]
    list_editable = ["is_active", "admission_rate_per_minute", "max_open_windows"]
    list_filter = ["is_active", "admission_paused"]
    raw_id_fields = ["match"]
    readonly_fields = ["admission_paused", "next_sort_key", "updated_at"]
    list_select_related = ["match"]
    actions = ["pause_admission", "resume_admission"]

    def get_queryset(self, request):
        now = timezone.now()
        return super().get_queryset(request).annotate(
            n_waiting=Count("match__queue_entries",
                            filter=Q(match__queue_entries__status=QueueStatus.WAITING)),
            n_open=Count("match__queue_entries",
                         filter=Q(match__queue_entries__status=QueueStatus.ADMITTED,
                                  match__queue_entries__window_expires_at__gt=now)))

    @admin.display(description="waiting", ordering="n_waiting")
    def waiting(self, obj):
        return obj.n_waiting

    @admin.display(description="open windows", ordering="n_open")
    def open_windows(self, obj):
        return obj.n_open

    @admin.action(description="Pause admission (fans keep their places)")
    def pause_admission(self, request, queryset):
        for config in queryset:
            queue_admission_pause(config=config, paused=True, actor=request.user, request=request)

    @admin.action(description="Resume admission")
    def resume_admission(self, request, queryset):
        for config in queryset:
            queue_admission_pause(config=config, paused=False, actor=request.user,
                                  request=request)


@admin.register(QueueEntry)
class QueueEntryAdmin(ReadOnlyAdmin):
    list_display = ["match", "user", "status", "sort_key", "joined_at", "last_heartbeat_at",
                    "window_expires_at"]
    list_filter = ["status"]
    list_select_related = ["match", "user"]
    search_fields = ["user__email"]
    ordering = ["match_id", "sort_key", "id"]
