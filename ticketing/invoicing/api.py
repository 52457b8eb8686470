"""Deferred payment offers and e-računi documents (E8-F4, E8-F5). Finance (or Super Admin).

POST /api/admin/payment-offers                 group a debtor's deferred orders (201)
GET  /api/admin/payment-offers?status=&debtor_id=
GET  /api/admin/payment-offers/<id>
POST /api/admin/payment-offers/<id>/paid       settle its debts, issue its invoice
POST /api/admin/payment-offers/<id>/cancel     {"reason"}: its orders may be grouped again
GET  /api/admin/debtors/<id>/open-orders       the deferred orders an offer may group
GET  /api/admin/eracuni-documents?type=&status=&reference="""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX
from core.drf import validated
from core.errors import NotFound
from core.roles import HasRole, Role
from ticketing.invoicing.models import (
    Debtor,
    DocumentStatus,
    DocumentType,
    EracuniDocument,
    OfferStatus,
    PaymentOffer,
)
from ticketing.invoicing.services import offers

FINANCE = HasRole(Role.FINANCE)
MONEY = {"max_digits": 12, "decimal_places": 2}


class OfferIn(serializers.Serializer):
    debtor_id = serializers.IntegerField(min_value=1)
    order_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                      required=False, max_length=ITEMS_MAX,
                                      help_text="Leave out for all of the debtor's open ones")
    note = serializers.CharField(max_length=500, required=False, default="")


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DocumentOut(serializers.ModelSerializer):
    class Meta:
        model = EracuniDocument
        fields = ("id", "document_type", "local_reference", "status", "amount", "currency",
                  "e_racuni_id", "e_racuni_number", "fiscalization_id", "public_url",
                  "attempts", "last_error", "created_at", "sent_at", "fiscalized_at",
                  "cancelled_at", "order_id", "refund_id", "payment_offer_id")


class OfferLineOut(serializers.Serializer):
    order_id = serializers.IntegerField()
    order_number = serializers.CharField(source="order.number")
    amount = serializers.DecimalField(**MONEY)


class OfferOut(serializers.ModelSerializer):
    debtor = serializers.CharField(source="debtor.name")
    lines = OfferLineOut(many=True)
    documents = DocumentOut(many=True)

    class Meta:
        model = PaymentOffer
        fields = ("id", "debtor_id", "debtor", "status", "total_amount", "currency", "due_date",
                  "note", "created_at", "sent_at", "paid_at", "cancelled_at", "lines",
                  "documents")


class OpenOrderOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    match = serializers.CharField()
    owed = serializers.DecimalField(source="debt.owed_amount", **MONEY)
    created_at = serializers.DateTimeField()


def _offers():
    return PaymentOffer.objects.select_related("debtor").prefetch_related(
        "lines__order", "documents")


def _offer(offer_id: int) -> PaymentOffer:
    offer = _offers().filter(pk=offer_id).first()
    if offer is None:
        raise NotFound("No such payment offer.")
    return offer


@extend_schema(tags=["invoicing"])
class PaymentOfferListView(ListAPIView):
    permission_classes = [FINANCE]
    serializer_class = OfferOut

    def get_queryset(self):
        rows = _offers()
        wanted = self.request.query_params.get("status")
        if wanted in OfferStatus.values:
            rows = rows.filter(status=wanted)
        debtor = self.request.query_params.get("debtor_id", "")
        if debtor.isdigit():
            rows = rows.filter(debtor_id=int(debtor))
        return rows

    @extend_schema(request=OfferIn, responses={201: OfferOut},
                   summary="Group a debtor's deferred orders into a payment offer")
    def post(self, request):
        data = validated(OfferIn, request.data)
        offer = offers.offer_create(debtor_id=data["debtor_id"],
                                    order_ids=data.get("order_ids"), note=data["note"],
                                    actor=request.user)
        return Response(OfferOut(_offer(offer.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["invoicing"])
class PaymentOfferDetailView(APIView):
    permission_classes = [FINANCE]

    @extend_schema(responses=OfferOut, summary="A payment offer with its orders and documents")
    def get(self, request, offer_id: int):
        return Response(OfferOut(_offer(offer_id)).data)


@extend_schema(tags=["invoicing"])
class PaymentOfferPaidView(APIView):
    permission_classes = [FINANCE]

    @extend_schema(request=None, responses=OfferOut,
                   summary="The debtor paid: settle the debts and issue the invoice")
    def post(self, request, offer_id: int):
        offers.offer_mark_paid(offer_id=offer_id, actor=request.user)
        return Response(OfferOut(_offer(offer_id)).data)


@extend_schema(tags=["invoicing"])
class PaymentOfferCancelView(APIView):
    permission_classes = [FINANCE]

    @extend_schema(request=CancelIn, responses=OfferOut, summary="Withdraw an open offer")
    def post(self, request, offer_id: int):
        data = validated(CancelIn, request.data)
        offers.offer_cancel(offer_id=offer_id, actor=request.user, reason=data["reason"])
        return Response(OfferOut(_offer(offer_id)).data)


@extend_schema(tags=["invoicing"])
class DebtorOpenOrdersView(APIView):
    permission_classes = [FINANCE]

    @extend_schema(responses=OpenOrderOut(many=True),
                   summary="A debtor's deferred orders not yet in an open offer")
    def get(self, request, debtor_id: int):
        debtor = Debtor.objects.filter(pk=debtor_id).first()
        if debtor is None:
            raise NotFound("No such debtor.")
        return Response(OpenOrderOut(offers.debtor_open_orders(debtor), many=True).data)


@extend_schema(tags=["invoicing"])
class DocumentListView(ListAPIView):
    permission_classes = [FINANCE]
    serializer_class = DocumentOut

    def get_queryset(self):
        rows, params = EracuniDocument.objects.all(), self.request.query_params
        if params.get("type") in DocumentType.values:
            rows = rows.filter(document_type=params["type"])
        if params.get("status") in DocumentStatus.values:
            rows = rows.filter(status=params["status"])
        if params.get("reference"):
            rows = rows.filter(local_reference=params["reference"][:60])
        return rows
