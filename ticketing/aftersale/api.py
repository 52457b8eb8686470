"""After-sale API (E8-F3, E9-F5, E9-F8).

POST /api/admin/orders/<id>/refund      Supervisor: refund the order, or some of its tickets
POST /api/orders/<id>/cancel-tickets    the buyer cancels tickets (until 48 h before kick-off)
POST /api/tickets/<id>/transfer         the buyer gives a ticket to a new holder
POST /api/admin/matches/<id>/cancel-request  Match Manager: ask for a match's cancellation
POST /api/admin/matches/<id>/cancel     Super Admin (a draft: Match Manager): cancel, refund all
GET  /api/admin/matches/<id>/cancellation    the cancellation report
POST /api/admin/tickets/sector-transfer Match Manager: move tickets to another sector"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX
from core.drf import validated
from core.roles import HasRole, Role
from payments.models import Refund
from ticketing.aftersale.services import (
    cancellations,
    match_cancel,
    refunds,
    sector_transfer,
    transfers,
)
from ticketing.serializers import HolderIn

MONEY = {"max_digits": 12, "decimal_places": 2}


class RefundIn(serializers.Serializer):
    ticket_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                       required=False, allow_empty=False, max_length=ITEMS_MAX,
                                       help_text="Leave out to refund every valid ticket")
    reason = serializers.CharField(max_length=255)


class CancelIn(serializers.Serializer):
    ticket_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                       allow_empty=False, max_length=ITEMS_MAX)
    reason = serializers.CharField(max_length=500, required=False, default="",
                                   allow_blank=True)


class TransferIn(serializers.Serializer):
    holder = HolderIn(help_text="The new holder: a saved profile or typed in, with an email")
    reason = serializers.CharField(max_length=500, required=False, default="",
                                   allow_blank=True)


class RefundOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    fee_retained = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    source = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()


class EndedTicketsOut(serializers.Serializer):
    order_id = serializers.IntegerField()
    ticket_ids = serializers.ListField(child=serializers.IntegerField())
    ticket_status = serializers.CharField()
    refund = RefundOut()


class CancellationOut(EndedTicketsOut):
    cancellation_id = serializers.IntegerField()
    cancellation_status = serializers.CharField()


class TransferOut(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    holder_name = serializers.CharField()
    transfer_count = serializers.IntegerField()
    transfer_id = serializers.IntegerField()


def _refund_data(refund: Refund) -> dict:
    return RefundOut(refund).data


def _ended_data(order_id: int, tickets, refund: Refund) -> dict:
    return {"order_id": order_id, "ticket_ids": [t.pk for t in tickets],
            "ticket_status": tickets[0].status, "refund": _refund_data(refund)}


@extend_schema(tags=["after-sale"])
class OrderRefundView(APIView):
    permission_classes = [HasRole(Role.SUPERVISOR)]

    @extend_schema(request=RefundIn, responses={202: EndedTicketsOut},
                   summary="Refund an order or some of its tickets (the fee is kept)")
    def post(self, request, order_id: int):
        data = validated(RefundIn, request.data)
        ending = refunds.order_refund(order_id=order_id, ticket_ids=data.get("ticket_ids"),
                                      reason=data["reason"], actor=request.user)
        return Response(_ended_data(order_id, ending.tickets, ending.refund), status=202)


@extend_schema(tags=["after-sale"])
class CancelTicketsView(APIView):
    @extend_schema(request=CancelIn, responses={202: CancellationOut},
                   summary="Cancel tickets of your order; the price and fee share are refunded")
    def post(self, request, order_id: int):
        data = validated(CancelIn, request.data)
        result = cancellations.tickets_cancel(user=request.user, order_id=order_id,
                                              ticket_ids=data["ticket_ids"],
                                              reason=data["reason"])
        return Response({**_ended_data(order_id, result.tickets, result.request.refund),
                         "cancellation_id": result.request.pk,
                         "cancellation_status": result.request.status}, status=202)


@extend_schema(tags=["after-sale"])
class TicketTransferView(APIView):
    @extend_schema(request=TransferIn, responses={200: TransferOut},
                   summary="Transfer your ticket to a new holder (a new QR code is issued)")
    def post(self, request, ticket_id: int):
        data = validated(TransferIn, request.data)
        result = transfers.ticket_transfer(user=request.user, ticket_id=ticket_id,
                                           holder=dict(data["holder"]), reason=data["reason"],
                                           request=request)
        return Response({"ticket_id": result.ticket.pk, "holder_name": result.ticket.holder_name,
                         "transfer_count": result.ticket.transfer_count,
                         "transfer_id": result.log.pk})


class MatchCancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, default="",
                                   allow_blank=True,
                                   help_text="Told to the fans; the request's when left out")


class MatchCancellationOut(serializers.Serializer):
    match_id = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField()
    requested_by = serializers.CharField()
    approved_by = serializers.CharField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    orders_total = serializers.IntegerField()
    orders_done = serializers.IntegerField()
    tickets_cancelled = serializers.IntegerField()
    tickets = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="The match's tickets by status")
    refunds = serializers.DictField(help_text="status -> {count, amount}")
    notifications_sent = serializers.IntegerField()


def _report(match_id: int, status: int = 200) -> Response:
    report = match_cancel.match_cancellation_report(match_id=match_id)
    report["refunds"] = {k: {"count": v["count"], "amount": str(v["amount"])}
                         for k, v in report["refunds"].items()}
    return Response(MatchCancellationOut(report).data, status=status)


@extend_schema(tags=["after-sale"])
class MatchCancelRequestView(APIView):
    permission_classes = [HasRole(Role.MATCH_MANAGER)]

    @extend_schema(request=MatchCancelIn, responses={201: MatchCancellationOut},
                   summary="Ask a Super Admin to cancel a published match")
    def post(self, request, match_id: int):
        data = validated(MatchCancelIn, request.data)
        match_cancel.match_cancel_request(match_id=match_id, actor=request.user,
                                          reason=data["reason"])
        return _report(match_id, status=201)


@extend_schema(tags=["after-sale"])
class MatchCancelView(APIView):
    permission_classes = [HasRole(Role.MATCH_MANAGER)]

    @extend_schema(request=MatchCancelIn, responses={202: MatchCancellationOut},
                   summary="Cancel the match: sale stopped, every ticket cancelled and refunded")
    def post(self, request, match_id: int):
        data = validated(MatchCancelIn, request.data)
        match_cancel.match_cancel(match_id=match_id, actor=request.user, reason=data["reason"])
        return _report(match_id, status=202)


@extend_schema(tags=["after-sale"])
class MatchCancellationView(APIView):
    permission_classes = [HasRole(Role.MATCH_MANAGER, Role.SUPERVISOR)]

    @extend_schema(responses=MatchCancellationOut,
                   summary="The cancellation report: tickets, refunds by status, notifications")
    def get(self, request, match_id: int):
        return _report(match_id)


class SectorTransferIn(serializers.Serializer):
    ticket_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                       required=False, max_length=5000)
    seat_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                     required=False, max_length=5000,
                                     help_text="Seat inventory ids, instead of ticket ids")
    destination_sector_id = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=200)


class SeatMoveOut(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    seat_id = serializers.IntegerField()
    row = serializers.CharField()
    seat = serializers.IntegerField()


@extend_schema(tags=["after-sale"])
class SectorTransferView(APIView):
    permission_classes = [HasRole(Role.MATCH_MANAGER)]

    @extend_schema(request=SectorTransferIn, responses={200: SeatMoveOut(many=True)},
                   summary="Move tickets to new seats in another sector (all or nothing)")
    def post(self, request):
        data = validated(SectorTransferIn, request.data)
        moves = sector_transfer.sector_transfer(
            ticket_ids=data.get("ticket_ids"), seat_ids=data.get("seat_ids"),
            destination_sector_id=data["destination_sector_id"], reason=data["reason"],
            actor=request.user)
        return Response([{"ticket_id": ticket_id, "seat_id": seat.pk, "row": seat.row_label,
                          "seat": seat.seat_number}
                         for ticket_id, seat in sorted(moves.items())])
