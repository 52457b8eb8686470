"""Promo codes API (US7).

Fan:
POST /api/promo-codes/validate                {match_id, code, cart_id?} -> the discount preview
Match Manager:
GET  /api/admin/promo-codes?match_id=&active=  paginated
POST /api/admin/promo-codes                   create
GET  /api/admin/promo-codes/<id>              with its uses
PATCH /api/admin/promo-codes/<id>             with the `version` read (stale: 409)
DELETE /api/admin/promo-codes/<id>            only while unused (409 otherwise: deactivate)
POST /api/admin/promo-codes/<id>/deactivate
POST /api/admin/promo-codes/validate          {match_id, code}: would a fan's checkout take it?"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX
from core.drf import validated
from core.roles import HasRole, Role
from ticketing.promotions.models import CODE_PATTERN, PromoCode, PromoKind
from ticketing.promotions.services import admin as promo_admin
from ticketing.promotions.services.preview import code_preview

MATCH_MANAGER = HasRole(Role.MATCH_MANAGER)
MONEY = {"max_digits": 12, "decimal_places": 2}


class PromoCodeIn(serializers.Serializer):
    match_id = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                        default=None, help_text="Empty: platform-wide")
    code = serializers.RegexField(CODE_PATTERN, max_length=20)
    kind = serializers.ChoiceField(PromoKind.choices)
    value = serializers.DecimalField(max_digits=8, decimal_places=2)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    max_uses = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    max_uses_per_buyer = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    price_category_ids = serializers.ListField(child=serializers.IntegerField(
        min_value=1, max_value=2**31 - 1), required=False, max_length=ITEMS_MAX)
    match_sector_ids = serializers.ListField(child=serializers.IntegerField(
        min_value=1, max_value=2**31 - 1), required=False, max_length=ITEMS_MAX)
    package_ids = serializers.ListField(child=serializers.IntegerField(
        min_value=1, max_value=2**31 - 1), required=False, max_length=ITEMS_MAX,
        help_text="Packages of the match it applies to")
    is_active = serializers.BooleanField(required=False, default=True)


class PromoCodeUpdateIn(PromoCodeIn):
    match_id = None  # a code stays with its match
    version = serializers.IntegerField(min_value=1)


class PromoFilterIn(serializers.Serializer):
    match_id = serializers.IntegerField(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class ValidateIn(serializers.Serializer):
    match_id = serializers.IntegerField(min_value=1)
    code = serializers.CharField(max_length=20)
    cart_id = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                       default=None)


def _promo_view(promo: PromoCode) -> dict:
    return promo_admin.promo_snapshot(promo) | {
        "id": promo.pk, "uses_count": promo.uses_count, "uses_left": promo.uses_left,
        "created_by": getattr(promo.created_by, "email", None),
        "created_at": promo.created_at, "updated_at": promo.updated_at}


def _preview_view(promo: PromoCode, priced) -> dict:
    data = {"valid": True, "code": promo.code, "match_id": promo.match_id, "kind": promo.kind,
            "value": str(promo.value), "uses_left": promo.uses_left}
    if priced is not None:
        amounts = priced.amounts
        data |= {name: str(getattr(amounts, name)) for name in (
            "list_amount", "ticket_amount", "fee_amount", "total_amount")}
        data["discount_amount"] = str(amounts.promo_discount_amount)
    return data


@extend_schema(tags=["promotions"])
class PromoValidateView(APIView):
    @extend_schema(request=ValidateIn, responses={200: OpenApiTypes.OBJECT},
                   summary="Preview a promo code's discount (rate-limited per account and IP)")
    def post(self, request):
        data = validated(ValidateIn, request.data)
        promo, priced = code_preview(user=request.user, request=request, **data)
        return Response(_preview_view(promo, priced))


@extend_schema(tags=["promotions"])
class AdminPromoValidateView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(request=ValidateIn, responses={200: OpenApiTypes.OBJECT},
                   summary="Would a checkout accept this code now? (no rate limit)")
    def post(self, request):
        data = validated(ValidateIn, request.data)
        promo, _ = code_preview(user=None, match_id=data["match_id"], code=data["code"],
                                limited=False)
        return Response(_preview_view(promo, None))


@extend_schema(tags=["promotions"])
class AdminPromoListView(GenericAPIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(parameters=[PromoFilterIn], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters = validated(PromoFilterIn, request.query_params)
        rows = PromoCode.objects.select_related("created_by").prefetch_related(
            "price_categories", "match_sectors")
        if "match_id" in filters:
            rows = rows.filter(match_id=filters["match_id"])
        if filters.get("active") is not None:
            rows = rows.filter(is_active=filters["active"])
        page = self.paginate_queryset(rows.order_by("-created_at", "-id"))
        return self.get_paginated_response([_promo_view(p) for p in page])

    @extend_schema(request=PromoCodeIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        promo = promo_admin.promo_code_create(actor=request.user, request=request,
                                              data=validated(PromoCodeIn, request.data))
        return Response(_promo_view(promo), status=201)


@extend_schema(tags=["promotions"])
class AdminPromoDetailView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, promo_id: int):
        return Response(_promo_view(promo_admin.promo_code_get(promo_id)))

    @extend_schema(request=PromoCodeUpdateIn, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, promo_id: int):
        data = validated(PromoCodeUpdateIn, request.data, partial=True)
        if "version" not in data:
            data = validated(PromoCodeUpdateIn, {"version": None})  # 400 naming `version`
        version = data.pop("version")
        promo = promo_admin.promo_code_update(actor=request.user, promo_id=promo_id,
                                              version=version, data=data, request=request)
        return Response(_promo_view(promo))

    @extend_schema(responses={204: None})
    def delete(self, request, promo_id: int):
        promo_admin.promo_code_delete(actor=request.user, promo_id=promo_id, request=request)
        return Response(status=204)


@extend_schema(tags=["promotions"])
class AdminPromoDeactivateView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, promo_id: int):
        return Response(_promo_view(promo_admin.promo_code_deactivate(
            actor=request.user, promo_id=promo_id, request=request)))
