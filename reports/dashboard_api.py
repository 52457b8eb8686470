"""The live match dashboard (Match Manager, Finance or Super Admin).

GET /api/admin/dashboard/match/{id}             the KPIs (sold, revenue, reserved, available,
                                                 seat status by sector): the fast part
GET /api/admin/dashboard/match/{id}?part=all    and sales over time and by channel, the
                                                 waiting room (what the admin page shows)"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import validated
from core.roles import HasRole
from reports.services.dashboard import DASHBOARD_ROLES, match_dashboard, match_kpis


class DashboardIn(serializers.Serializer):
    part = serializers.ChoiceField(choices=["kpis", "all"], default="kpis")


@extend_schema(tags=["reports"])
class MatchDashboardView(APIView):
    permission_classes = [HasRole(*DASHBOARD_ROLES)]

    @extend_schema(
        parameters=[OpenApiParameter("part", OpenApiTypes.STR, enum=["kpis", "all"])],
        responses=dict,
        summary="Live match dashboard: sold, revenue (gross, refunds, net), reserved, "
                "available, seat status by sector; sales over time and by channel; the "
                "waiting room")
    def get(self, request, match_id: int):
        part = validated(DashboardIn, request.query_params)["part"]
        service = match_dashboard if part == "all" else match_kpis
        return Response(service(match_id))
