from django.urls import path

from reports import api

urlpatterns = [
    path("admin/reports/financial", api.FinancialReportView.as_view(),
         name="admin-report-financial"),
    path("admin/reports/financial/xlsx", api.FinancialReportXlsxView.as_view(),
         name="admin-report-financial-xlsx"),
]
