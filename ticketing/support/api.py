"""Customer support API (E10).

GET /api/admin/tickets/search?oib=&order_number=&email=&phone=   Support Agent, Supervisor"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import validated
from core.roles import HasRole, Role
from ticketing.support.selectors import ticket_summary, tickets_search

SUPPORT = HasRole(Role.SUPPORT_AGENT, Role.SUPERVISOR)


class SearchIn(serializers.Serializer):
    oib = serializers.CharField(max_length=11, required=False, default="")
    order_number = serializers.CharField(max_length=20, required=False, default="")
    email = serializers.CharField(max_length=254, required=False, default="")
    phone = serializers.CharField(max_length=30, required=False, default="")


class TicketFoundOut(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    barcode = serializers.CharField(help_text="masked: the last 4 digits")
    status = serializers.CharField()
    match = serializers.CharField()
    match_id = serializers.IntegerField()
    kick_off_time = serializers.DateTimeField()
    sector = serializers.CharField()
    row = serializers.CharField()
    seat = serializers.IntegerField(allow_null=True)
    holder_name = serializers.CharField()
    holder_oib = serializers.CharField(help_text="masked")
    holder_email = serializers.CharField(help_text="masked")
    order_id = serializers.IntegerField()
    order_number = serializers.CharField(allow_null=True)
    buyer_email = serializers.CharField(help_text="masked")
    buyer_phone = serializers.CharField(help_text="masked")
    transfer_count = serializers.IntegerField()


@extend_schema(tags=["support"])
class TicketSearchView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(parameters=[SearchIn], responses={200: TicketFoundOut(many=True)},
                   summary="Find tickets by OIB, order number, email or phone (at most 50)")
    def get(self, request):
        found = tickets_search(**validated(SearchIn, request.query_params))
        return Response({"results": [ticket_summary(t) for t in found]})
