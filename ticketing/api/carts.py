"""Fan cart API (E4-F4): POST /api/cart/add, GET and DELETE /api/cart?match_id=.

An expired cart is shown by GET with status EXPIRED and remaining_seconds 0 (200, not 410), so
the app can say "your cart expired" from the same payload it already renders."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import validated
from core.limits import per_user
from ticketing.services import cart as carts

MONEY = {"max_digits": 10, "decimal_places": 2}
# Seats and packages count together. Holding seats needs no Redis, so neither does its limit.
CART_ADD_LIMIT = per_user("cart-add", "CART_ADD_RATE", fail_open=True)


# --- Serializers ----------------------------------------------------------------------------

class CartAddIn(serializers.Serializer):
    match_id = serializers.IntegerField(min_value=1)
    zone_id = serializers.IntegerField(min_value=1, help_text="A price category of the match")
    quantity = serializers.IntegerField(min_value=1,
                                        max_value=settings.MAX_TICKETS_PER_FAN_PER_MATCH)


class CartMatchIn(serializers.Serializer):
    match_id = serializers.IntegerField(min_value=1)


class CartSectorOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class CartZoneOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CartItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    sector = CartSectorOut(source="match_sector")
    zone = CartZoneOut(source="price_category")
    row = serializers.CharField(source="inventory.row_label", default=None)
    seat = serializers.IntegerField(source="inventory.seat_number", default=None)
    quantity = serializers.IntegerField()
    price = serializers.DecimalField(source="unit_price", **MONEY)
    full_price = serializers.DecimalField(**MONEY)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    package_line_id = serializers.IntegerField(allow_null=True,
                                               help_text="The package line this seat is in")


class CartPackageOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The cart line")
    package_id = serializers.IntegerField()
    name = serializers.CharField(source="package.name")
    quantity = serializers.IntegerField()
    price = serializers.DecimalField(source="unit_price", help_text="One package", **MONEY)
    total = serializers.DecimalField(**MONEY)


class CartOut(serializers.Serializer):
    id = serializers.IntegerField(source="cart.id")
    match_id = serializers.IntegerField(source="cart.match_id")
    status = serializers.CharField(help_text="OPEN, or EXPIRED once the hold time ran out")
    expires_at = serializers.DateTimeField(source="cart.expires_at")
    remaining_seconds = serializers.IntegerField()
    items = CartItemOut(many=True)
    packages = CartPackageOut(source="package_lines", many=True,
                              help_text="Package lines; their seats are in items")
    total = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    together = serializers.BooleanField(help_text="Each add's seats sit side by side")
    warnings = serializers.ListField(child=serializers.CharField())


# --- Rendering --------------------------------------------------------------------------------
# Plain dicts in CartOut's shape (CartOut stays the documented schema; a test holds the two
# together): every add-to-cart renders the cart, and DRF's serializer machinery cost more than
# the rest of the view. These DRF fields keep its formatting of money and times.
_money = serializers.DecimalField(**MONEY).to_representation
_percent = serializers.DecimalField(max_digits=5, decimal_places=2).to_representation
_time = serializers.DateTimeField().to_representation


def _item_data(item) -> dict:
    seat = item.inventory if item.inventory_id else None
    return {"id": item.id,
            "sector": {"id": item.match_sector.id, "code": item.match_sector.code,
                       "name": item.match_sector.name},
            "zone": {"id": item.price_category.id, "name": item.price_category.name},
            "row": seat.row_label if seat else None, "seat": seat.seat_number if seat else None,
            "quantity": item.quantity, "price": _money(item.unit_price),
            "full_price": _money(item.full_price),
            "discount_percent": _percent(item.discount_percent),
            "package_line_id": item.package_line_id}


def cart_data(view: carts.CartView) -> dict:
    return {"id": view.cart.id, "match_id": view.cart.match_id, "status": view.status,
            "expires_at": _time(view.cart.expires_at),
            "remaining_seconds": view.remaining_seconds,
            "items": [_item_data(item) for item in view.items],
            "packages": [{"id": line.id, "package_id": line.package_id,
                          "name": line.package.name, "quantity": line.quantity,
                          "price": _money(line.unit_price),
                          "total": _money(line.total)}
                         for line in view.package_lines],
            "total": _money(view.total),
            "currency": view.currency, "together": view.together,
            "warnings": list(view.warnings)}


# --- Views ----------------------------------------------------------------------------------

def _render(view: carts.CartView, code=status.HTTP_200_OK) -> Response:
    return Response(cart_data(view), status=code)


@extend_schema(tags=["cart"])
class CartAddView(APIView):
    throttle_classes = [CART_ADD_LIMIT]

    @extend_schema(request=CartAddIn, responses={201: CartOut},
                   summary="Hold best-available tickets of a zone in the fan's cart")
    def post(self, request):
        data = validated(CartAddIn, request.data)
        return _render(carts.cart_add(user=request.user, request=request, **data),
                       status.HTTP_201_CREATED)


MATCH_PARAM = OpenApiParameter("match_id", int, required=True)


@extend_schema(tags=["cart"])
class CartView(APIView):
    @extend_schema(parameters=[MATCH_PARAM], responses=CartOut,
                   summary="The fan's cart for a match with the time left")
    def get(self, request):
        data = validated(CartMatchIn, request.query_params)
        return _render(carts.cart_view(user=request.user, match_id=data["match_id"]))

    @extend_schema(parameters=[MATCH_PARAM], responses={204: None},
                   summary="Empty the cart and free its seats")
    def delete(self, request):
        data = validated(CartMatchIn, request.query_params)
        carts.cart_release(user=request.user, match_id=data["match_id"], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
