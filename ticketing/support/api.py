"""Customer support API (E10). Support Agent or Supervisor unless noted.

GET  /api/admin/tickets/search?oib=&order_number=&email=&phone=   find a caller's tickets
POST /api/admin/tickets/<id>/transfer                 a transfer for a caller (done at once, or
                                                      left PENDING with "complete": false)
GET  /api/admin/support/transfer-requests?status=     the requests
POST /api/admin/support/transfer-requests/<id>/approve | /reject
POST /api/admin/orders/<id>/refund-request            the purchaser's refund
GET  /api/admin/support/refund-requests?status=       the requests
POST /api/admin/support/refund-requests/<id>/approve | /reject     Supervisor
GET  /api/admin/tickets/<id>/print?reason=&identity_verified=&document_type=&location=   PDF
GET  /api/admin/tickets/<id>/prints                   the ticket's earlier prints"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX
from core.drf import validated
from core.errors import Forbidden
from core.pii import mask, mask_email
from core.roles import HasRole, Role
from ticketing.serializers import HolderIn
from ticketing.support.models import (
    IdentityDocument,
    RefundRequestStatus,
    SupportRefundRequest,
    SupportTransferRequest,
    TransferRequestStatus,
)
from ticketing.support.selectors import ticket_summary, tickets_search
from ticketing.support.services import prints, refunds, transfers

SUPPORT = HasRole(Role.SUPPORT_AGENT, Role.SUPERVISOR)
MONEY = {"max_digits": 12, "decimal_places": 2}


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


class TransferRequestIn(serializers.Serializer):
    requested_by_name = serializers.CharField(max_length=201)
    requested_by_contact = serializers.CharField(max_length=254,
                                                 help_text="A phone number or an email")
    holder = HolderIn(help_text="The new holder, typed in, with the email the ticket goes to")
    reason = serializers.CharField(max_length=500)
    complete = serializers.BooleanField(
        default=True, help_text="Approve and transfer now (the caller's identity is checked); "
        "false leaves the request PENDING")


class DecisionIn(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class MaskedEmail(serializers.CharField):
    def to_representation(self, value):
        return mask_email(value) if "@" in (value or "") else mask(value)


class TransferRequestOut(serializers.ModelSerializer):
    new_holder_name = serializers.CharField()
    new_holder_oib = serializers.CharField(source="new_holder_oib_masked")
    new_holder_email = MaskedEmail()
    requested_by_contact = MaskedEmail(help_text="masked")
    transfer_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = SupportTransferRequest
        fields = ["id", "ticket", "status", "requested_by_name", "requested_by_contact",
                  "new_holder_name", "new_holder_oib", "new_holder_email", "reason", "agent",
                  "decided_by", "decision_note", "transfer_id", "created_at", "decided_at",
                  "completed_at"]


class RefundRequestIn(serializers.Serializer):
    ticket_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                       required=False, allow_empty=False, max_length=ITEMS_MAX,
                                       help_text="Leave out to refund every valid ticket")
    reason = serializers.CharField(max_length=255, required=False, default="",
                                   allow_blank=True,
                                   help_text="Required within 48 hours of kick-off")
    requester_name = serializers.CharField(max_length=201)
    requester_email = serializers.EmailField(required=False, default="", allow_blank=True)
    requester_oib = serializers.CharField(max_length=11, required=False, default="",
                                          allow_blank=True)
    identity_verified = serializers.BooleanField(
        help_text="The agent has checked the caller is the purchaser")
    identity_document = serializers.ChoiceField(choices=IdentityDocument.choices)


class RefundRequestOut(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY)
    requester_email = MaskedEmail()
    refund_status = serializers.CharField(source="refund.status", default=None)

    class Meta:
        model = SupportRefundRequest
        fields = ["id", "order", "ticket_ids", "amount", "reason", "within_cutoff", "status",
                  "requester_name", "requester_email", "requester_oib_masked",
                  "identity_document", "agent", "decided_by", "decision_note", "refund",
                  "refund_status", "created_at", "decided_at"]


class PrintIn(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    identity_verified = serializers.BooleanField()
    document_type = serializers.ChoiceField(choices=IdentityDocument.choices)
    location = serializers.CharField(max_length=100)


class PrintOut(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.EmailField(source="agent.email")
    reason = serializers.CharField()
    identity_verified = serializers.BooleanField()
    verification_document_type = serializers.CharField()
    print_location = serializers.CharField()
    printed_at = serializers.DateTimeField()


@extend_schema(tags=["support"])
class TicketSearchView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(parameters=[SearchIn], responses={200: TicketFoundOut(many=True)},
                   summary="Find tickets by OIB, order number, email or phone (at most 50)")
    def get(self, request):
        found = tickets_search(**validated(SearchIn, request.query_params))
        return Response({"results": [ticket_summary(t) for t in found]})


@extend_schema(tags=["support"])
class TicketTransferRequestView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(request=TransferRequestIn, responses={201: TransferRequestOut},
                   summary="Transfer a ticket for a caller (400 within 48 hours of kick-off)")
    def post(self, request, ticket_id: int):
        data = validated(TransferRequestIn, request.data)
        asked = transfers.transfer_request(agent=request.user, ticket_id=ticket_id,
                                           holder=dict(data.pop("holder")),
                                           http_request=request, **data)
        return Response(TransferRequestOut(asked).data, status=201)


class _Requests(GenericAPIView):
    """A list of requests, newest first, filtered by `?status=`."""

    out = statuses = None

    def get(self, request):
        rows = self.get_queryset()
        status = request.query_params.get("status", "")
        if status in self.statuses.values:
            rows = rows.filter(status=status)
        return self.get_paginated_response(self.out(self.paginate_queryset(rows),
                                                    many=True).data)


@extend_schema(tags=["support"], responses={200: TransferRequestOut(many=True)})
class TransferRequestListView(_Requests):
    permission_classes = [SUPPORT]
    queryset = SupportTransferRequest.objects.all()
    out, statuses = TransferRequestOut, TransferRequestStatus


@extend_schema(tags=["support"])
class TransferRequestApproveView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(request=None, responses={200: TransferRequestOut},
                   summary="Approve a PENDING transfer request: the ticket is transferred")
    def post(self, request, request_id: int):
        asked = transfers.transfer_request_approve(request_id=request_id, actor=request.user,
                                                   http_request=request)
        return Response(TransferRequestOut(asked).data)


@extend_schema(tags=["support"])
class TransferRequestRejectView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(request=DecisionIn, responses={200: TransferRequestOut})
    def post(self, request, request_id: int):
        note = validated(DecisionIn, request.data)["note"]
        asked = transfers.transfer_request_reject(request_id=request_id, actor=request.user,
                                                  note=note)
        return Response(TransferRequestOut(asked).data)


@extend_schema(tags=["support"])
class OrderRefundRequestView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(request=RefundRequestIn, responses={201: RefundRequestOut},
                   summary="Refund for the purchaser: at once, or waiting for a Supervisor "
                   "(within 48 hours of kick-off and above the threshold)")
    def post(self, request, order_id: int):
        data = validated(RefundRequestIn, request.data)
        asked = refunds.refund_request(agent=request.user, order_id=order_id,
                                       ticket_ids=data.pop("ticket_ids", None), **data)
        return Response(RefundRequestOut(asked).data, status=201)


@extend_schema(tags=["support"], responses={200: RefundRequestOut(many=True)})
class RefundRequestListView(_Requests):
    permission_classes = [SUPPORT]
    queryset = SupportRefundRequest.objects.select_related("refund")
    out, statuses = RefundRequestOut, RefundRequestStatus


@extend_schema(tags=["support"])
class RefundRequestApproveView(APIView):
    permission_classes = [HasRole(Role.SUPERVISOR)]

    @extend_schema(request=None, responses={200: RefundRequestOut},
                   summary="Approve a refund request waiting for a Supervisor")
    def post(self, request, request_id: int):
        asked = refunds.refund_request_approve(request_id=request_id, actor=request.user)
        return Response(RefundRequestOut(asked).data)


@extend_schema(tags=["support"])
class RefundRequestRejectView(APIView):
    permission_classes = [HasRole(Role.SUPERVISOR)]

    @extend_schema(request=DecisionIn, responses={200: RefundRequestOut})
    def post(self, request, request_id: int):
        note = validated(DecisionIn, request.data)["note"]
        asked = refunds.refund_request_reject(request_id=request_id, actor=request.user,
                                              note=note)
        return Response(RefundRequestOut(asked).data)


@extend_schema(tags=["support"])
class TicketPrintView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(parameters=[PrintIn], responses={
        (200, "application/pdf"): OpenApiResponse(
            OpenApiTypes.BINARY, description="The ticket; a duplicate print carries the "
            "warning in the X-Print-Warning header and on the page")},
        summary="Print a valid ticket (EMERGENCY REPRINT), logged")
    def get(self, request, ticket_id: int):
        if request.headers.get("Sec-Fetch-Site") == "cross-site":  # a link from elsewhere
            raise Forbidden("Print from the support tools, not from a link on another site.",
                            code="cross_site")
        data = validated(PrintIn, request.query_params)
        printed = prints.ticket_print(agent=request.user, ticket_id=ticket_id, **data)
        response = HttpResponse(printed.pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="ticket-{ticket_id}-reprint.pdf"'
        response["X-Print-Count"] = str(len(printed.earlier) + 1)
        if printed.warning:
            response["X-Print-Warning"] = printed.warning
        return response


@extend_schema(tags=["support"])
class TicketPrintsView(APIView):
    permission_classes = [SUPPORT]

    @extend_schema(responses={200: inline_serializer("TicketPrintsOut", {
                       "results": PrintOut(many=True)})},
                   summary="The ticket's prints so far, newest first")
    def get(self, request, ticket_id: int):
        return Response({"results": PrintOut(prints.ticket_prints(ticket_id), many=True).data})
