"""The live match dashboard in Django Admin: /admin/reports/dashboard/ picks a match,
/admin/reports/dashboard/<match_id>/ is its page. The page is drawn from the data embedded in it
(json_script: the CSP allows no inline script), then static/reports/dashboard.js keeps it live
over ws/admin/dashboard/<match_id>/."""

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.errors import NotFound
from core.roles import Role, user_has_role
from reports.services.dashboard import dashboard_allowed, match_dashboard
from seating.models import Match

PICKER_MATCHES = 50  # upcoming ones, and as many of the latest played


def _allowed(request) -> None:
    if not dashboard_allowed(request.user):
        raise PermissionDenied


def dashboard_picker(request):
    _allowed(request)
    since = timezone.now() - timedelta(days=1)  # a match played today is still "upcoming"
    matches = Match.objects.filter(is_deleted=False)
    context = admin.site.each_context(request) | {
        "title": "Live match dashboard",
        "upcoming": matches.filter(kick_off_time__gte=since)
                           .order_by("kick_off_time")[:PICKER_MATCHES],
        "played": matches.filter(kick_off_time__lt=since)
                         .order_by("-kick_off_time")[:PICKER_MATCHES]}
    return TemplateResponse(request, "reports/dashboard_picker.html", context)


def dashboard_page(request, match_id: int):
    _allowed(request)
    try:
        data = match_dashboard(match_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    # The seat map page is the Match Manager's (it changes seats); others see the colours only.
    seat_map = (reverse("admin:seating_match_seat_map", args=[match_id])
                if user_has_role(request.user, Role.MATCH_MANAGER) else "")
    config = {"matchId": match_id, "socketPath": f"/ws/admin/dashboard/{match_id}/",
              "seatMapUrl": seat_map, "data": data}
    context = admin.site.each_context(request) | {
        "title": f"Live dashboard: {data['match']['name']}", "data": data, "config": config,
        "kick_off": parse_datetime(data["match"]["kick_off_time"])}
    return TemplateResponse(request, "reports/dashboard.html", context)
