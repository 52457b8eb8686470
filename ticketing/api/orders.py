"""Checkout, orders and tickets API (E4-F5, E4-F7, E9-F1, E9-F2, E9-F7).

POST /api/checkout                       cart + holders -> order + payment client secret (201)
GET  /api/orders/<id>                    the buyer's order (404 for anyone else, as a missing one)
POST /api/orders/<id>/retry-payment      a new payment attempt while the hold lasts
POST /api/orders/<id>/pay-local          the embedded demo's payment (404 unless provider local)
GET  /api/tickets/<id>                   a ticket, showing more as kick-off nears"""

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX
from core.drf import validated
from core.pii import mask
from payments.models import Payment
from ticketing.invoicing.selectors import order_invoice
from ticketing.models import Order, OrderItem, RefundState, TicketStatus
from ticketing.selectors.orders import (
    OrderLine,
    answer_data,
    order_lines,
    order_package_details,
    order_payments,
)
from ticketing.serializers import HolderIn
from ticketing.services import checkout as checkouts
from ticketing.services import tickets as ticket_service
from ticketing.services.tickets import Tier

MONEY = {"max_digits": 12, "decimal_places": 2}


# --- Serializers ----------------------------------------------------------------------------

class CheckoutIn(serializers.Serializer):
    cart_id = serializers.IntegerField(min_value=1)
    holders = HolderIn(many=True, allow_empty=False, max_length=ITEMS_MAX)
    promo_code = serializers.CharField(max_length=20, required=False, default="",
                                       allow_blank=True,
                                       help_text="A promo code (US7), in any case")


class MatchOut(serializers.Serializer):
    id = serializers.IntegerField()
    home_team = serializers.CharField()
    away_team = serializers.CharField()
    kick_off_time = serializers.DateTimeField()


class PackageRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AnswerOut(serializers.Serializer):
    option_id = serializers.IntegerField()
    label = serializers.CharField()
    value = serializers.JSONField(help_text="true/false, [choices] or text")


class OrderItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    holder_name = serializers.CharField(source="full_name")
    holder_source = serializers.CharField()
    is_minor = serializers.BooleanField()
    oib = serializers.CharField(source="oib_masked")
    sector = serializers.CharField(source="match_sector.code")
    zone = serializers.CharField(source="price_category.name")
    row = serializers.CharField(source="inventory.row_label", default=None)
    seat = serializers.IntegerField(source="inventory.seat_number", default=None)
    price = serializers.DecimalField(source="unit_price", max_digits=8, decimal_places=2)
    package = PackageRefOut(allow_null=True, help_text="The package it came in")
    options = serializers.SerializerMethodField(
        help_text="The holder's answers to the package's options")

    @extend_schema_field(AnswerOut(many=True))
    def get_options(self, item) -> list:
        return [answer_data(r.option, r.value)
                for r in item.option_responses.select_related("option")]


class OrderTicketOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    holder_name = serializers.CharField()
    order_item_id = serializers.IntegerField()


class PaymentOut(serializers.Serializer):
    provider = serializers.CharField()
    status = serializers.CharField()
    client_secret = serializers.CharField()
    failure_message = serializers.CharField()


class InvoiceOut(serializers.Serializer):
    number = serializers.CharField(help_text="e-računi's number; empty until it is issued")
    status = serializers.CharField(help_text="DRAFT, SENT, FISCALIZED or CANCELLED")
    pdf_url = serializers.CharField(help_text="The invoice PDF at e-računi; empty until issued")


class OrderOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    match = MatchOut()
    ticket_amount = serializers.DecimalField(**MONEY)
    ticket_vat_amount = serializers.DecimalField(**MONEY)
    fee_amount = serializers.DecimalField(**MONEY)
    fee_vat_amount = serializers.DecimalField(**MONEY)
    total_amount = serializers.DecimalField(**MONEY)
    fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField()
    items = OrderItemOut(many=True)
    tickets = OrderTicketOut(many=True)
    payment = PaymentOut(allow_null=True)
    refunded_amount = serializers.DecimalField(**MONEY)
    refund_status = serializers.ChoiceField(RefundState.choices,
                                            help_text="How much of the order was given back")
    invoice = InvoiceOut(allow_null=True, help_text="Once the order is paid (E9-F7)")
    promo_code = serializers.CharField(allow_null=True, help_text="The promo code used (US7)")
    promo_discount_amount = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="What the promo code took off the tickets")


class CheckoutPaymentOut(serializers.Serializer):
    provider = serializers.CharField()
    client_secret = serializers.CharField()


class CheckoutOut(serializers.Serializer):
    order = OrderOut()
    payment = CheckoutPaymentOut()


# --- Rendering --------------------------------------------------------------------------------
# Plain dicts in OrderOut's shape (OrderOut stays the documented schema; a test holds the two
# together): DRF's serializer machinery cost more than the order's reads. These DRF fields
# keep its formatting of money and times.
_money = serializers.DecimalField(**MONEY).to_representation
_price = serializers.DecimalField(max_digits=8, decimal_places=2).to_representation
_percent = serializers.DecimalField(max_digits=5, decimal_places=2).to_representation
_time = serializers.DateTimeField().to_representation
MONEY_FIELDS = ("ticket_amount", "ticket_vat_amount", "fee_amount", "fee_vat_amount",
                "total_amount")


def _match_data(match) -> dict:
    return {"id": match.id, "home_team": match.home_team, "away_team": match.away_team,
            "kick_off_time": _time(match.kick_off_time)}


def _item_data(line: OrderLine, names: dict, answers: dict) -> dict:
    return {"id": line.item_id, "holder_name": line.holder_name,
            "holder_source": line.holder_source, "is_minor": line.is_minor,
            "oib": mask(line.oib), "sector": line.sector, "zone": line.zone, "row": line.row,
            "seat": line.seat, "price": _price(line.unit_price),
            "package": ({"id": line.package_id, "name": names.get(line.package_id)}
                        if line.package_id else None),
            "options": answers.get(line.item_id, [])}


def _new_item_data(item: OrderItem) -> dict:
    """An item checkout just wrote, with its cart item's sector, zone and seat attached."""
    return {"id": item.id, "holder_name": item.full_name,
            "holder_source": str(item.holder_source), "is_minor": item.is_minor,
            "oib": item.oib_masked, "sector": item.sector_code, "zone": item.zone_name,
            "row": item.row_label, "seat": item.seat_number, "price": _price(item.unit_price),
            "package": ({"id": item.package_id, "name": item.package_name}
                        if item.package_id else None),
            "options": [answer_data(option, value)
                        for option, value in getattr(item, "option_answers", [])]}


def _ticket_summary(line: OrderLine) -> dict:
    return {"id": line.ticket_id, "status": line.ticket_status,
            "holder_name": line.ticket_holder_name, "order_item_id": line.item_id}


def _payment_data(payment: Payment | None) -> dict | None:
    if payment is None:
        return None
    return {"provider": str(payment.provider), "status": str(payment.status),
            "client_secret": payment.client_secret, "failure_message": payment.failure_message}


def refund_state(order: Order, refunded: Decimal) -> str:
    """NONE / PARTIAL / FULL: from its tickets refunded or cancelled, or, for an order that
    issued none (a payment that came too late), from the money given back."""
    if order.refund_status != RefundState.NONE or not refunded:
        return str(order.refund_status)
    return RefundState.FULL if refunded >= order.total_amount else RefundState.PARTIAL


def _order_data(order: Order, *, payments: list[Payment] | None = None,
                new_items: list[OrderItem] | None = None) -> dict:
    """The order (as the service returned it, its match loaded) with items, tickets and
    payment: one read for the items with their tickets (none for a new order's `new_items`),
    and one for the order's payments unless the caller passes them."""
    if new_items is not None:  # just written: no tickets yet
        items, tickets = [_new_item_data(item) for item in new_items], []
    else:
        lines = order_lines(order.pk)
        names, answers = order_package_details(lines)
        items = [_item_data(line, names, answers) for line in lines]
        tickets = [_ticket_summary(line)
                   for line in sorted((line for line in lines if line.ticket_id is not None),
                                      key=lambda line: line.ticket_id)]
    if payments is None:
        payments = order_payments(order)
    refunded = sum((p.refunded_amount for p in payments if p.reference == order.payment_reference),
                   Decimal("0.00"))
    return {
        "id": order.id, "number": order.number, "status": str(order.status),
        "match": _match_data(order.match),
        **{name: _money(getattr(order, name)) for name in MONEY_FIELDS},
        "fee_percent": _percent(order.fee_percent), "currency": order.currency,
        "created_at": _time(order.created_at), "paid_at": _time(order.paid_at),
        "items": items,
        "tickets": tickets,
        "payment": _payment_data(next((p for p in payments if p.idempotency_key
                                       == order.payment_idempotency_key), None)),
        "refunded_amount": _money(refunded),
        "refund_status": refund_state(order, refunded),
        "invoice": None if new_items is not None else order_invoice(order.pk),
        "promo_code": getattr(order, "promo_code", None),
        "promo_discount_amount": (None if getattr(order, "promo_discount", None) is None
                                  else _money(order.promo_discount)),
    }


def _ticket_data(view: ticket_service.TicketView) -> dict:
    ticket, item = view.ticket, view.ticket.order_item
    data = {"id": ticket.id, "status": ticket.status, "tier": view.tier,
            "holder_name": ticket.holder_name,
            "order": {"id": ticket.order_id, "number": ticket.order.number},
            "match": _match_data(ticket.match),
            "zone": {"id": item.price_category_id, "name": item.price_category.name}}
    if item.package_id:  # a package ticket shows its package and its holder's answers
        data["package"] = {"id": item.package_id, "name": item.package.name}
        data["options"] = [answer_data(r.option, r.value)
                           for r in item.option_responses.select_related("option")]
    if view.tier in (Tier.SEAT, Tier.FULL):
        data["sector"] = {"code": item.match_sector.code, "name": item.match_sector.name}
        data["row"] = ticket.inventory.row_label if ticket.inventory else None
        data["seat"] = ticket.inventory.seat_number if ticket.inventory else None
    if ticket.external_ticket_required:  # an away match: the host's PDF gets the holder in
        data["external_ticket_required"] = True
        data["pdf_url"] = f"/api/tickets/{ticket.id}/pdf"
        return data
    if view.tier == Tier.FULL and ticket.status == TicketStatus.VALID:  # an ended one opens nothing
        payload = ticket_service.qr_rotating_payload(ticket, timezone.now())
        data["barcode"] = ticket.barcode
        data["qr_payload"] = payload  # changes every 30 seconds: fetch it again to redraw
        data["qr_expires_in"] = ticket_service.QR_STEP_SECONDS - int(
            timezone.now().timestamp()) % ticket_service.QR_STEP_SECONDS
        data["qr_png_base64"] = ticket_service.qr_png_base64(ticket, payload)
    return data


# --- Views ----------------------------------------------------------------------------------

@extend_schema(tags=["orders"])
class CheckoutView(APIView):
    @extend_schema(request=CheckoutIn, responses={201: CheckoutOut},
                   summary="Check out the cart: holders, blacklist check, order, payment")
    def post(self, request):
        data = validated(CheckoutIn, request.data)
        result = checkouts.checkout_submit(user=request.user, cart_id=data["cart_id"],
                                           holders=[dict(h) for h in data["holders"]],
                                           request=request, promo_code=data["promo_code"])
        # A new order has exactly one payment: the one just started.
        return Response({"order": _order_data(result.order, payments=[result.payment],
                                              new_items=result.items),
                         "payment": {"provider": result.payment.provider,
                                     "client_secret": result.payment.client_secret}},
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["orders"])
class OrderDetailView(APIView):
    @extend_schema(responses=OrderOut, summary="The buyer's order with tickets and payment")
    def get(self, request, order_id: int):
        order = checkouts.order_for_buyer(user=request.user, order_id=order_id)
        return Response(_order_data(order))


@extend_schema(tags=["orders"])
class OrderRetryPaymentView(APIView):
    @extend_schema(request=None, responses={201: CheckoutOut},
                   summary="Start a new payment after a failed one, while the seats are held")
    def post(self, request, order_id: int):
        result = checkouts.order_payment_retry(user=request.user, order_id=order_id,
                                               request=request)
        return Response({"order": _order_data(result.order),
                         "payment": {"provider": result.payment.provider,
                                     "client_secret": result.payment.client_secret}},
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["orders"])
class OrderPayLocalView(APIView):
    @extend_schema(request=None, responses=OrderOut,
                   summary="Embedded demo only: pay the order with the local provider")
    def post(self, request, order_id: int):
        order = checkouts.order_pay_local(user=request.user, order_id=order_id)
        return Response(_order_data(order))


@extend_schema(tags=["tickets"])
class TicketDetailView(APIView):
    @extend_schema(responses=dict, summary="A ticket: seat from 4 days, QR from 5 hours before")
    def get(self, request, ticket_id: int):
        return Response(_ticket_data(ticket_service.ticket_for_buyer(user=request.user,
                                                                     ticket_id=ticket_id)))

