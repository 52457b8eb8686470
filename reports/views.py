"""Report pages in Django Admin: the financial reconciliation (/admin/reports/financial/) and
the download of a finished export (/admin/reports/exports/<signed token>)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from rest_framework.exceptions import ValidationError

from core.drf import errors_text
from core.errors import DomainError, Forbidden, NotFound
from core.roles import Role, user_has_role
from reports.api import report_for
from reports.services.exports import job_for_link
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
        error = errors_text(exc.detail)
    context = admin.site.each_context(request) | {
        "title": "Financial reconciliation", "report": report, "error": error,
        "query": request.GET.urlencode(), "params": request.GET,
        "matches": Match.objects.filter(is_deleted=False).order_by("-kick_off_time")[:200]}
    return TemplateResponse(request, "reports/financial.html", context)


def export_download(request, token: str):
    """The emailed link of a finished export (signed, expiring; signed in with the role)."""
    try:
        job = job_for_link(token=token, user=request.user)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    name = job.file.name.rsplit("/", 1)[-1]
    try:
        content = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("This export's file is gone: export the report again.") from exc
    return FileResponse(content, as_attachment=True, filename=name)
