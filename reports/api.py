"""Reports (Finance or Super Admin).

GET /api/admin/reports/financial?date_from=&date_to=&match_id=        the reconciliation
GET /api/admin/reports/financial/xlsx?date_from=&date_to=&match_id=   the same as XLSX"""


from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import validated
from core.errors import ValidationFailed
from core.roles import HasRole, Role
from reports.services.financial import AMOUNTS, FinancialReport, financial_report
from reports.services.xlsx import financial_xlsx

FINANCE = HasRole(Role.FINANCE)
MAX_DAYS = 366


class FinancialIn(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    match_id = serializers.IntegerField(min_value=1, required=False)


def report_for(params) -> FinancialReport:
    """The report for query parameters; the current month by default."""
    data = validated(FinancialIn, params)
    today = timezone.localdate()
    date_from = data.get("date_from") or today.replace(day=1)
    date_to = data.get("date_to") or today
    if date_to < date_from:
        raise ValidationFailed("date_to is before date_from.", field="date_to")
    if (date_to - date_from).days > MAX_DAYS:
        raise ValidationFailed(f"At most {MAX_DAYS} days at once.", field="date_to")
    return financial_report(date_from=date_from, date_to=date_to,
                            match_id=data.get("match_id"))


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

    @extend_schema(parameters=[FinancialIn], responses=dict,
                   summary="Financial reconciliation: sales by method, refunds, where the "
                           "money is, payment offers, e-računi documents")
    def get(self, request):
        return Response(report_data(report_for(request.query_params)))


@extend_schema(tags=["reports"])
class FinancialReportXlsxView(APIView):
    permission_classes = [FINANCE]

    @extend_schema(parameters=[FinancialIn], responses={
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


