from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.roles import Role, user_has_role
from seating.models import Match
from ticketing.loyalty.distribution import loyalty_distribution
from ticketing.loyalty.models import LoyaltyPoint

CHART_WIDTH, BAR_HEIGHT = 480, 22  # px: the longest bar, one row


@admin.register(LoyaltyPoint)
class LoyaltyPointAdmin(ReadOnlyAdmin):
    """Points are written by the award job only. The holder's OIB shows as its last 4 digits;
    its hash is never shown."""

    list_display = ("earned_at", "match", "ticket", "holder_name", "holder_oib", "points",
                    "awarded_at")
    fields = readonly_fields = list_display
    list_filter = ("match__match_type", "earned_at")
    search_fields = ("ticket__barcode", "ticket__holder_name", "match__home_team",
                     "match__away_team")
    list_select_related = ("match", "ticket__order_item")
    date_hierarchy = "earned_at"

    @admin.display(description="Holder")
    def holder_name(self, obj):
        return obj.ticket.holder_name

    @admin.display(description="Holder OIB")
    def holder_oib(self, obj):
        return obj.ticket.order_item.oib_masked

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("distribution/", view(self.distribution_view),
                     name="loyalty_loyaltypoint_distribution"), *super().get_urls()]

    def distribution_view(self, request):
        """Fans by points for a chosen match (?match=<id>), as bars, with its phases' tiers."""
        if not user_has_role(request.user, Role.MATCH_MANAGER, Role.SUPERVISOR):
            raise PermissionDenied
        matches = Match.objects.filter(is_deleted=False).order_by("-kick_off_time")[:100]
        report, error = None, ""
        match_id = request.GET.get("match", "")
        if match_id:
            try:
                report = loyalty_distribution(match_id=int(match_id))
            except (ValueError, DomainError):
                error = f"No match {match_id}."
        bars = _bars(report["balances"]) if report else []
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": "Loyalty points distribution", "matches": matches,
                   "chosen": match_id, "error": error, "report": report,
                   "bars": bars, "chart_height": len(bars) * BAR_HEIGHT + 4}
        return TemplateResponse(request, "admin/loyalty/loyaltypoint/distribution.html",
                                context)


def _bars(balances: list[dict]) -> list[dict]:
    """SVG bar geometry: one row per balance, widths relative to the largest count."""
    most = max((row["fans"] for row in balances), default=0) or 1
    return [{**row, "y": i * BAR_HEIGHT, "width": max(1, round(CHART_WIDTH * row["fans"] / most))}
            for i, row in enumerate(balances)]
