from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import healthz
from core.metrics import metrics_view
from reports.dashboard_views import dashboard_page, dashboard_picker
from reports.views import export_download, financial_page
from ticketing.external_tickets.views import holder_pdf


def docs_only(view):
    """The API docs and schema answer 404 unless API_DOCS_ENABLED (default: DEBUG): in
    production they would describe every endpoint to anyone."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.API_DOCS_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


api_patterns = [
    path("", include("ticketing.urls")),
    path("", include("ticketing.aftersale.urls")),
    path("", include("ticketing.support.urls")),
    path("", include("ticketing.loyalty.urls")),
    path("", include("ticketing.promotions.urls")),
    path("", include("ticketing.packages.urls")),
    path("", include("ticketing.invoicing.urls")),
    path("", include("ticketing.wallet.urls")),
    path("", include("ticketing.external_tickets.urls")),
    path("", include("reports.urls")),
    path("", include("core.urls")),
    path("", include("seating.urls")),
    path("", include("queueing.urls")),
    path("", include("payments.urls")),
    path("", include("quotas.urls")),
    path("", include("accessctl.urls")),
    path("", include("quotas.petrol.urls")),
    path("", include("accessctl.gates.urls")),
    path("schema/", docs_only(SpectacularAPIView.as_view()), name="api-schema"),
    # The split view serves its start-up script from ?script, so no inline script (CSP).
    path("docs/", docs_only(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
]

urlpatterns = [
    *([re_path(r"^media/(?P<path>packages/.+)$", serve,
               {"document_root": settings.MEDIA_ROOT})] if settings.SERVE_MEDIA else []),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),  # 404 unless allowed (core.metrics)
    path("admin/reports/financial/", admin.site.admin_view(financial_page),
         name="admin-financial-page"),
    path("admin/reports/exports/<str:token>", admin.site.admin_view(export_download),
         name="report-export-download"),
    path("admin/reports/dashboard/", admin.site.admin_view(dashboard_picker),
         name="admin-dashboard-picker"),
    path("admin/reports/dashboard/<id:match_id>/", admin.site.admin_view(dashboard_page),
         name="admin-dashboard-page"),
    path("admin/", admin.site.urls),
    path("hijack/", include("hijack.urls")),
    path("api/", include(api_patterns)),
    path("portal/", include("quotas.portal_urls")),
    path("petrol/", include("quotas.petrol.page_urls")),
    path("tickets/pdf/<str:token>", holder_pdf, name="ticket-pdf-link"),
]

handler404 = "core.exceptions.not_found"
handler500 = "core.exceptions.server_error"
