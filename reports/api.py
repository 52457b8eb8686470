"""Reports (each needs its role; Super Admin passes all).

GET  /api/admin/reports/financial?date_from=&date_to=&match_id=        the reconciliation
GET  /api/admin/reports/financial/xlsx?date_from=&date_to=&match_id=   the same as XLSX
GET  /api/admin/reports/sales?match_id=&date_from=&date_to=&ticket_type=&sector=&channel=
GET  /api/admin/reports/attendance?match_id=      per sector: sold, attended, no-shows
GET  /api/admin/reports/quota-usage?match_id=     per quota: allocated, claimed, delegated, sold
     (a preview: the first 50 rows, the row count and the totals)
POST /api/admin/reports/exports                  {report_type, format, parameters} -> 202 job
GET  /api/admin/reports/exports[/{id}]            the caller's jobs, their progress and link"""


from decimal import Decimal

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import validated
from core.errors import NotFound
from core.roles import HasRole, Role
from reports.models import ExportFormat, JobStatus, ReportExportJob, ReportType
from reports.params import REPORTS, PeriodIn, report_params, report_role_check, report_table
from reports.services.exports import download_link, export_request, jobs_visible_to
from reports.services.financial import AMOUNTS, FinancialReport, financial_report
from reports.services.xlsx import financial_xlsx

FINANCE = HasRole(Role.FINANCE)


def report_for(params) -> FinancialReport:
    """The report for query parameters; the current month by default."""
    return financial_report(**report_params(ReportType.FINANCIAL, params))


def report_data(report: FinancialReport) -> dict:
    def method(row) -> dict:
        return {"method": row.method, "orders": row.orders, "tickets": row.tickets,
                **{name: str(getattr(row, name)) for name in AMOUNTS}}

    return {"date_from": report.date_from, "date_to": report.date_to,
            "match_id": report.match_id, "by_method": [method(r) for r in report.methods],
            "total": method(report.total),
            "kept": {name: str(amount) for name, amount in report.kept.items()},
            "kept_total": str(report.kept_total), "difference": str(report.difference),
            "reconciles": report.reconciles,
            "payment_offers": {status: {"count": row["count"], "amount": str(row["amount"])}
                               for status, row in report.offers.items()},
            "eracuni_documents": report.documents}


@extend_schema(tags=["reports"])
class FinancialReportView(APIView):
    permission_classes = [FINANCE]

    @extend_schema(parameters=[PeriodIn], responses=dict,
                   summary="Financial reconciliation: sales by method, refunds, where the "
                           "money is, payment offers, e-računi documents")
    def get(self, request):
        return Response(report_data(report_for(request.query_params)))


@extend_schema(tags=["reports"])
class FinancialReportXlsxView(APIView):
    permission_classes = [FINANCE]

    @extend_schema(parameters=[PeriodIn], responses={
        (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
            OpenApiTypes.BINARY}, summary="The financial reconciliation as XLSX")
    def get(self, request):
        report = report_for(request.query_params)
        response = HttpResponse(
            financial_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = (f'attachment; filename="financial-'
                                           f'{report.date_from}-{report.date_to}.xlsx"')
        return response




PREVIEW_ROWS = 50


def _exact(value):
    """Money stays exact in JSON: Decimals as strings, as everywhere in the API."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    return value


def _preview(report_type: str, request) -> dict:
    report_role_check(request.user, report_type)
    table = report_table(report_type, report_params(report_type, request.query_params))
    rows = [dict(zip(table.columns, map(_exact, row), strict=True))
            for row in table.rows(PREVIEW_ROWS)]
    return {"report_type": report_type, "columns": table.columns, "row_count": table.row_count,
            "preview_rows": len(rows), "rows": rows,
            "totals": _exact({k: v for k, v in table.totals.items() if k != "report"})}


def preview_view(report_type: str, summary: str):
    @extend_schema(tags=["reports"], parameters=[REPORTS[report_type].params],
                   responses=dict, summary=summary)
    class PreviewView(APIView):
        def get(self, request):
            return Response(_preview(report_type, request))

    PreviewView.__name__ = f"{report_type.title().replace('_', '')}PreviewView"
    return PreviewView.as_view()


class ExportIn(serializers.Serializer):
    report_type = serializers.ChoiceField(choices=ReportType.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)
    parameters = serializers.DictField(required=False, default=dict)


def job_data(job: ReportExportJob) -> dict:
    return {"id": job.pk, "report_type": job.report_type, "format": job.file_format,
            "parameters": job.parameters, "status": job.status, "rows_total": job.rows_total,
            "rows_done": job.rows_done, "progress_percent": job.progress_percent,
            "file_size": job.file_size, "error_message": job.error_message,
            "requested_by": job.requested_by.email, "created_at": job.created_at,
            "started_at": job.started_at, "completed_at": job.completed_at,
            "download_url": (download_link(job) if job.status == JobStatus.COMPLETED
                             and job.file else None)}


REPORTERS = HasRole(*sorted({role for spec in REPORTS.values() for role in spec.roles}))


@extend_schema(tags=["reports"])
class ExportJobsView(APIView):
    permission_classes = [REPORTERS]

    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}},
                   summary="Your report exports, newest first (the last 100)")
    def get(self, request):
        return Response([job_data(job) for job in jobs_visible_to(request.user)[:100]])

    @extend_schema(request=ExportIn, responses={202: dict},
                   summary="Export a full report as CSV or XLSX (a job; emailed when ready)")
    def post(self, request):
        data = validated(ExportIn, request.data)
        job = export_request(user=request.user, report_type=data["report_type"],
                             file_format=data["format"], parameters=data["parameters"])
        return Response(job_data(job), status=202)


@extend_schema(tags=["reports"])
class ExportJobView(APIView):
    permission_classes = [REPORTERS]

    @extend_schema(responses=dict, summary="One report export: status, progress, link")
    def get(self, request, job_id: int):
        job = jobs_visible_to(request.user).filter(pk=job_id).first()
        if job is None:
            raise NotFound(f"No report export {job_id}.", code="report_export_not_found")
        return Response(job_data(job))
