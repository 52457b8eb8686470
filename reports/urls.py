from django.urls import path

from reports import api, dashboard_api
from reports.models import ReportType

urlpatterns = [
    path("admin/dashboard/match/<id:match_id>", dashboard_api.MatchDashboardView.as_view(),
         name="admin-dashboard-match"),
    path("admin/reports/financial", api.FinancialReportView.as_view(),
         name="admin-report-financial"),
    path("admin/reports/financial/xlsx", api.FinancialReportXlsxView.as_view(),
         name="admin-report-financial-xlsx"),
    path("admin/reports/sales", api.preview_view(
        ReportType.SALES, "Sales report: the first 50 tickets sold and the totals"),
        name="admin-report-sales"),
    path("admin/reports/attendance", api.preview_view(
        ReportType.ATTENDANCE, "Attendance per sector: sold, attended, no-shows"),
        name="admin-report-attendance"),
    path("admin/reports/quota-usage", api.preview_view(
        ReportType.QUOTA_USAGE, "Quota usage: allocated, claimed, delegated and sold"),
        name="admin-report-quota-usage"),
    path("admin/reports/exports", api.ExportJobsView.as_view(), name="admin-report-exports"),
    path("admin/reports/exports/<id:job_id>", api.ExportJobView.as_view(),
         name="admin-report-export"),
]
