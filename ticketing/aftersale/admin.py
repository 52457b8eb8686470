from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.roles import Role, user_has_role
from seating.models import Match, MatchStatus
from ticketing.aftersale.models import CancellationRequest, MatchCancellation, TransferLog
from ticketing.aftersale.services import match_cancel


@admin.register(CancellationRequest)
class CancellationRequestAdmin(ReadOnlyAdmin):
    """Fans' cancellations; a FAILED one's refund is retried from the refunds list."""

    list_display = ("id", "created_at", "order", "ticket_ids", "refund_amount", "status",
                    "refund", "initiated_by")
    list_filter = ("status", "created_at")
    search_fields = ("order__number", "initiated_by__email")
    list_select_related = ("order", "refund", "initiated_by")


@admin.register(TransferLog)
class TransferLogAdmin(ReadOnlyAdmin):
    """Who a ticket went to; OIBs are shown masked only."""

    list_display = ("transferred_at", "ticket", "from_holder_name", "from_holder_oib_masked",
                    "to_holder_name", "to_holder_oib_masked", "to_holder_email",
                    "transfer_type", "initiated_by")
    fields = readonly_fields = (*list_display, "reason")
    list_filter = ("transfer_type", "transferred_at")
    search_fields = ("ticket__barcode", "from_holder_name", "to_holder_name", "to_holder_email")
    list_select_related = ("ticket", "initiated_by")


@admin.register(MatchCancellation)
class MatchCancellationAdmin(ReadOnlyAdmin):
    """Match cancellations and their progress; a match is cancelled from its own page
    (Seating → Matches → the match → "Cancel match")."""

    list_display = ("match", "status", "reason", "requested_by", "approved_by", "orders_done",
                    "orders_total", "tickets_cancelled", "notifications_sent", "report_link")
    list_filter = ("status",)
    list_select_related = ("match", "requested_by", "approved_by")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("cancel/<id:match_id>/", view(self.cancel_view),
                 name="aftersale_matchcancellation_cancel"),
            path("report/<id:match_id>/", view(self.report_view),
                 name="aftersale_matchcancellation_report"),
            *super().get_urls(),
        ]

    @admin.display(description="Report")
    def report_link(self, obj):
        url = reverse("admin:aftersale_matchcancellation_report", args=[obj.match_id])
        return format_html('<a href="{}">Report</a>', url)

    def cancel_view(self, request, match_id: int):
        """The counts cancelling would touch, a reason, then `match_cancel` (or the request
        for a Super Admin's approval)."""
        if not user_has_role(request.user, Role.MATCH_MANAGER):
            raise PermissionDenied
        match = get_object_or_404(Match, pk=match_id)
        match_url = reverse("admin:seating_match_change", args=[match.pk])
        reason = request.POST.get("reason", "")
        if request.method == "POST":
            try:
                if request.POST.get("do") == "request":
                    match_cancel.match_cancel_request(match_id=match.pk, actor=request.user,
                                                      reason=reason)
                    self.message_user(request, "A Super Admin has been asked to cancel it.",
                                      messages.SUCCESS)
                    return HttpResponseRedirect(match_url)
                match_cancel.match_cancel(match_id=match.pk, actor=request.user, reason=reason)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(request, "The match is cancelled; its orders are being "
                                           "refunded.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:aftersale_matchcancellation_report", args=[match.pk]))
        requested = MatchCancellation.objects.filter(match=match).first()
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": f"Cancel {match}", "match": match, "match_url": match_url,
                   "preview": match_cancel.match_cancellation_preview(match=match),
                   "reason": reason or (requested.reason if requested else ""),
                   "needs_super_admin": match.status != MatchStatus.DRAFT
                   and not match_cancel.is_super_admin(request.user)}
        return TemplateResponse(request, "admin/aftersale/matchcancellation/cancel.html",
                                context)

    def report_view(self, request, match_id: int):
        if not user_has_role(request.user, Role.MATCH_MANAGER, Role.SUPERVISOR):
            raise PermissionDenied
        match = get_object_or_404(Match, pk=match_id)
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": f"Cancellation of {match}", "match": match,
                   "report": match_cancel.match_cancellation_report(match_id=match.pk)}
        return TemplateResponse(request, "admin/aftersale/matchcancellation/report.html",
                                context)
