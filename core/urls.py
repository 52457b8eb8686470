from django.urls import path

from core import api

urlpatterns = [
    path("admin/audit-events", api.AuditEventListView.as_view(), name="admin-audit-events"),
]
