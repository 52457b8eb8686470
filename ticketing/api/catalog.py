"""Public match catalogue API (E4-F1, E4-F2): no login needed. Views read through
`ticketing.selectors.catalog` and render with an output serializer."""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ticketing.selectors import catalog

MONEY = {"max_digits": 10, "decimal_places": 2}


# --- Serializers ----------------------------------------------------------------------------

class CatalogVenueOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()


class CatalogSalePhaseOut(serializers.Serializer):
    phase_type = serializers.CharField()
    name = serializers.CharField()
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()


class CatalogPricingOut(serializers.Serializer):
    min_price = serializers.DecimalField(**MONEY)
    max_price = serializers.DecimalField(**MONEY)
    full_min_price = serializers.DecimalField(**MONEY)
    full_max_price = serializers.DecimalField(**MONEY)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    currency = serializers.CharField()


class MatchCatalogOut(serializers.Serializer):
    id = serializers.IntegerField()
    home_team = serializers.CharField()
    away_team = serializers.CharField()
    competition = serializers.CharField()
    kick_off_time = serializers.DateTimeField()
    match_type = serializers.CharField()
    venue = CatalogVenueOut(allow_null=True)
    is_numbered = serializers.BooleanField()
    sale_status = serializers.ChoiceField([
        catalog.SaleStatus.NOT_ON_SALE, catalog.SaleStatus.ON_SALE, catalog.SaleStatus.SOLD_OUT,
        catalog.SaleStatus.ENDED])
    sale_phase = CatalogSalePhaseOut(
        allow_null=True, help_text="The running fan phase, or the next one when not on sale")
    pricing = CatalogPricingOut(
        allow_null=True, help_text="Prices today; null until sectors are priced")


class ZoneSectorOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_numbered = serializers.BooleanField()
    available = serializers.IntegerField()


class ZoneOut(serializers.Serializer):
    id = serializers.IntegerField(source="category.id")
    name = serializers.CharField(source="category.name")
    color = serializers.CharField(source="category.color")
    currency = serializers.CharField(source="category.currency")
    price = serializers.DecimalField(**MONEY)
    full_price = serializers.DecimalField(**MONEY)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    available = serializers.IntegerField()
    max_quantity = serializers.IntegerField()
    sectors = ZoneSectorOut(many=True)


class MatchZonesOut(serializers.Serializer):
    match_id = serializers.IntegerField()
    zones = ZoneOut(many=True)


# --- Views ----------------------------------------------------------------------------------

@extend_schema(tags=["catalog"])
class MatchCatalogListView(GenericAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = MatchCatalogOut

    @extend_schema(operation_id="matches_list", responses=MatchCatalogOut(many=True),
                   summary="Upcoming matches with sale status and prices")
    def get(self, request):
        page = self.paginate_queryset(catalog.match_catalog_list())
        matches = catalog.match_catalog_annotate(page)
        return self.get_paginated_response(MatchCatalogOut(matches, many=True).data)


@extend_schema(tags=["catalog"])
class MatchZonesView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=MatchZonesOut,
                   summary="A match's zones with today's prices and availability")
    def get(self, request, match_id: int):
        return Response(match_zones_data(match_id))


def match_zones_data(match_id: int) -> dict:
    """The zones response. Every fan reads it before adding to a cart, so it is shared by
    everyone for ZONES_CACHE_SECONDS (0: not at all): availability shown is advisory, adding
    to a cart is what decides. A match that is not visible is never cached (404)."""
    now, seconds = timezone.now(), settings.ZONES_CACHE_SECONDS
    key = catalog.zones_cache_key(match_id=match_id, now=now) if seconds else None
    if key and (data := cache.get(key)) is not None:
        return data
    match = catalog.match_catalog_get(match_id=match_id)
    data = MatchZonesOut({"match_id": match.id,
                          "zones": catalog.match_zones(match=match, now=now)}).data
    if key:
        cache.set(key, data, seconds)
    return data
