"""The financial reconciliation as a page in Django Admin (/admin/reports/financial/)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from rest_framework.exceptions import ValidationError

from core.errors import DomainError
from core.roles import Role, user_has_role
from reports.api import report_for
from seating.models import Match


def financial_page(request):
    if not user_has_role(request.user, Role.FINANCE):
        raise PermissionDenied
    report, error = None, ""
    try:
        report = report_for(request.GET)
    except DomainError as exc:
        error = exc.detail
    except ValidationError as exc:
        error = "; ".join(f"{name}: {' '.join(map(str, problems))}"
                          for name, problems in exc.detail.items())
    context = admin.site.each_context(request) | {
        "title": "Financial reconciliation", "report": report, "error": error,
        "query": request.GET.urlencode(), "params": request.GET,
        "matches": Match.objects.filter(is_deleted=False).order_by("-kick_off_time")[:200]}
    return TemplateResponse(request, "reports/financial.html", context)
