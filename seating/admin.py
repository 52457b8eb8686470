"""Back office for venues, matches and seat inventory, plus two custom pages: the match seat map
(see and change seat statuses, through the inventory API) and the sector seat-map editor (draws
the seat map JSON, saved through the venues API). Inventory, audit rows, GA holds and bulk jobs
are read-only here: their writes belong to services."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from core.roles import Role, user_has_role
from seating import selectors
from seating.models import (
    STATUS_COLORS,
    BulkStatusJob,
    GeneralAdmissionHold,
    Match,
    MatchAuditLog,
    MatchSector,
    MatchStatus,
    PriceCategory,
    SalesPhase,
    Seat,
    SeatAuditLog,
    SeatInventory,
    SeatStatus,
    SeatType,
    Sector,
    SectorSeatMap,
    SnakeConfig,
    Stadium,
)
from seating.services.seat_admin import ADMIN_TARGET_STATUSES

DEFAULT_EDITOR_ROWS, DEFAULT_EDITOR_COLS = 10, 20


def _require_match_manager(request) -> None:
    if not user_has_role(request.user, Role.MATCH_MANAGER):
        raise PermissionDenied


# --- venues ---------------------------------------------------------------------------------

class SectorInline(admin.TabularInline):
    model = Sector
    fields = ("code", "name", "capacity", "sector_type", "seat_count", "display_order")
    readonly_fields = ("seat_count",)
    extra = 0
    show_change_link = True


@admin.register(Stadium)
class StadiumAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "country", "stadium_type", "base_capacity", "is_numbered")
    list_filter = ("stadium_type", "country", "is_numbered")
    search_fields = ("name", "city")
    inlines = [SectorInline]


class SeatMapEditorMixin:
    """Adds the seat-map editor page (`<sector id>/seat-map-editor/`) to an admin."""

    editor_url_name = "seating_sector_seat_map_editor"

    def editor_urls(self):
        return [path("<id:sector_id>/seat-map-editor/",
                     self.admin_site.admin_view(self.seat_map_editor_view),
                     name=self.editor_url_name)]

    def seat_map_editor_view(self, request, sector_id):
        _require_match_manager(request)
        sector = get_object_or_404(Sector.objects.select_related("stadium"), pk=sector_id)
        seat_map = SectorSeatMap.objects.filter(sector=sector).first()
        if seat_map:
            data = seat_map.seat_map_json
        else:
            data = {"dimensions": {"rows": DEFAULT_EDITOR_ROWS, "cols": DEFAULT_EDITOR_COLS},
                    "seats": [], "row_labels": [], "numbering_direction": "LTR"}
        config = {
            "sectorId": sector.pk, "hasMap": seat_map is not None, "seatMap": data,
            "apiUrl": reverse("admin-sector-seat-map", args=[sector.pk]),
            "seatTypes": [t.lower() for t in SeatType.values],
        }
        context = {**self.admin_site.each_context(request), "title": f"Seat map of {sector}",
                   "sector": sector, "seat_map": seat_map, "config": config,
                   "opts": Sector._meta}
        return TemplateResponse(request, "seating/admin/seat_map_editor.html", context)


def _editor_link(sector_id: int):
    url = reverse(f"admin:{SeatMapEditorMixin.editor_url_name}", args=[sector_id])
    return format_html('<a class="seat-map-editor-link" href="{}">Seat map editor</a>', url)


@admin.register(Sector)
class SectorAdmin(SeatMapEditorMixin, admin.ModelAdmin):
    list_display = ("code", "name", "stadium", "sector_type", "capacity", "seat_count",
                    "editor")
    list_filter = ("stadium", "sector_type")
    search_fields = ("code", "name", "stadium__name")
    list_select_related = ("stadium",)
    readonly_fields = ("seat_count", "editor")

    def get_urls(self):
        return [*self.editor_urls(), *super().get_urls()]

    @admin.display(description="Seat map")
    def editor(self, obj):
        return _editor_link(obj.pk) if obj and obj.pk else "Save the sector first."


@admin.register(SectorSeatMap)
class SectorSeatMapAdmin(admin.ModelAdmin):
    list_display = ("sector", "total_seats", "configuration_status", "updated_at", "editor")
    list_filter = ("configuration_status",)
    list_select_related = ("sector__stadium",)
    readonly_fields = ("total_seats", "editor")
    raw_id_fields = ("sector",)

    @admin.display(description="Editor")
    def editor(self, obj):
        return _editor_link(obj.sector_id) if obj and obj.pk else "-"


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ("sector", "row_identifier", "seat_number", "seat_type", "grid_row",
                    "grid_col")
    list_filter = ("seat_type", "sector__stadium")
    search_fields = ("sector__code", "row_identifier")
    list_select_related = ("sector__stadium",)
    raw_id_fields = ("sector",)


@admin.register(SnakeConfig)
class SnakeConfigAdmin(admin.ModelAdmin):
    list_display = ("sector", "best_row_index", "traversal_direction", "within_row_strategy")
    list_select_related = ("sector__stadium",)
    raw_id_fields = ("sector",)


# --- matches --------------------------------------------------------------------------------

class SalesPhaseInline(admin.TabularInline):
    model = SalesPhase
    fields = ("name", "phase_type", "start_at", "end_at", "ticket_limit", "is_active")
    extra = 0


class PriceCategoryInline(admin.TabularInline):
    model = PriceCategory
    fields = ("name", "price", "currency", "color")
    extra = 0


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("__str__", "competition", "kick_off_time", "match_type", "status",
                    "stadium_config_status", "seat_map")
    list_filter = ("status", "match_type", "stadium_config_status", "is_deleted")
    search_fields = ("home_team", "away_team", "competition")
    date_hierarchy = "kick_off_time"
    readonly_fields = ("seat_map", "dashboard_link", "cancel_link", "loyalty_link", "created_at",
                       "updated_at")
    inlines = [SalesPhaseInline, PriceCategoryInline]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<id:match_id>/seat-map/", view(self.seat_map_view),
                 name="seating_match_seat_map"),
            path("<id:match_id>/seat-map/data/", view(self.seat_map_data_view),
                 name="seating_match_seat_map_data"),
            *super().get_urls(),
        ]

    @admin.display(description="Cancellation")
    def cancel_link(self, obj):
        """The after-sale's cancellation page: its counts, then the cancellation (E2-F7)."""
        if not obj or not obj.pk:
            return "-"
        if obj.status == MatchStatus.CANCELLED:
            url = reverse("admin:aftersale_matchcancellation_report", args=[obj.pk])
            return format_html('<a href="{}">Cancellation report</a>', url)
        url = reverse("admin:aftersale_matchcancellation_cancel", args=[obj.pk])
        return format_html('<a class="button" href="{}">Cancel match</a>', url)

    @admin.display(description="Live dashboard")
    def dashboard_link(self, obj):
        """The reports app's live match dashboard (E14-F2)."""
        if not obj or not obj.pk:
            return "-"
        url = reverse("admin-dashboard-page", args=[obj.pk])
        return format_html('<a href="{}">Sales dashboard</a>', url)

    @admin.display(description="Loyalty")
    def loyalty_link(self, obj):
        """The loyalty app's chart of fans by points, with this match's tiers (E6-F2)."""
        if not obj or not obj.pk:
            return "-"
        url = reverse("admin:loyalty_loyaltypoint_distribution") + f"?match={obj.pk}"
        return format_html('<a href="{}">Loyalty points distribution</a>', url)

    @admin.display(description="Seat map")
    def seat_map(self, obj):
        if not obj or not obj.pk:
            return "-"
        url = reverse("admin:seating_match_seat_map", args=[obj.pk])
        return format_html('<a class="seat-map-link" href="{}">Seat map</a>', url)

    def seat_map_view(self, request, match_id):
        _require_match_manager(request)
        match = get_object_or_404(Match, pk=match_id)
        sectors = list(match.sectors.filter(is_numbered=True))
        chosen = request.GET.get("sector")
        sector = next((s for s in sectors if str(s.pk) == chosen), sectors[0] if sectors else None)
        config = {
            "matchId": match.pk, "sectorId": sector.pk if sector else None,
            "seats": selectors.seat_map_data(match_sector=sector) if sector else [],
            "colors": STATUS_COLORS, "statuses": list(SeatStatus.values),
            "dataUrl": reverse("admin:seating_match_seat_map_data", args=[match.pk]),
            "singleUrl": reverse("admin-seat-status", args=[0]),
            "bulkUrl": reverse("admin-seat-bulk-status"),
            "jobUrl": reverse("admin-seat-bulk-status-job", args=[0]),
        }
        context = {**self.admin_site.each_context(request), "title": f"Seat map: {match}",
                   "match": match, "sectors": sectors, "sector": sector, "config": config,
                   "targets": [s for s in SeatStatus.values if s in ADMIN_TARGET_STATUSES],
                   "opts": Match._meta}
        return TemplateResponse(request, "seating/admin/match_seat_map.html", context)

    def seat_map_data_view(self, request, match_id):
        _require_match_manager(request)
        sector = get_object_or_404(MatchSector, match_id=match_id, pk=request.GET.get("sector"))
        return JsonResponse({"seats": selectors.seat_map_data(match_sector=sector)})


@admin.register(MatchSector)
class MatchSectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "match", "total_capacity", "sellable_capacity", "status",
                    "purpose", "is_numbered")
    list_filter = ("status", "purpose", "is_numbered")
    search_fields = ("code", "name", "match__home_team", "match__away_team")
    list_select_related = ("match",)
    raw_id_fields = ("match", "sector", "price_category")


# --- inventory (read-mostly: statuses change through the seat map page and the API) ----------

@admin.register(SeatInventory)
class SeatInventoryAdmin(admin.ModelAdmin):
    list_display = ("match", "match_sector", "row_label", "seat_number", "status", "version",
                    "hold_owner", "hold_expires_at", "last_modified_at")
    list_filter = ("status", "match", "match_sector__code")
    search_fields = ("row_label", "hold_owner", "match_sector__code")
    list_select_related = ("match", "match_sector")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SeatAuditLog)
class SeatAuditLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "inventory", "from_status", "to_status", "reason",
                    "changed_by", "hold_owner", "order_id")
    list_filter = ("to_status", "from_status")
    search_fields = ("reason", "hold_owner", "changed_by__email")
    list_select_related = ("inventory__match_sector", "changed_by")
    show_full_result_count = False


@admin.register(MatchAuditLog)
class MatchAuditLogAdmin(ReadOnlyAdmin):
    """Every change to a match (E2-F6) and, for "notify" ones, how many holders were told."""

    list_display = ("created_at", "match", "change_type", "changes_json", "changed_by",
                    "notification_preference", "recipients_notified", "recipients_total",
                    "notification_sent")
    list_filter = ("change_type", "notification_preference", "notification_sent")
    search_fields = ("match__home_team", "match__away_team")
    list_select_related = ("match", "changed_by")


@admin.register(GeneralAdmissionHold)
class GeneralAdmissionHoldAdmin(ReadOnlyAdmin):
    list_display = ("match_sector", "quantity", "owner", "status", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("owner",)
    list_select_related = ("match_sector",)


@admin.register(BulkStatusJob)
class BulkStatusJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "match", "target_status", "status", "total", "processed",
                    "changed", "requested_by")
    list_filter = ("status", "target_status")
    list_select_related = ("match", "requested_by")
