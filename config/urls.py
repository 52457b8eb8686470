from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.health import healthz

api_patterns = [
    path("", include("ticketing.urls")),
    path("", include("core.urls")),
    path("", include("seating.urls")),
    path("", include("queueing.urls")),
    path("", include("payments.urls")),
    path("", include("quotas.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("hijack/", include("hijack.urls")),
    path("api/", include(api_patterns)),
    path("portal/", include("quotas.portal_urls")),
]

handler404 = "core.exceptions.not_found"
handler500 = "core.exceptions.server_error"
