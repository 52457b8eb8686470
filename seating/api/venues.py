"""Back-office API for stadium templates, their sectors, seat maps, seats and snake configs
(Match Manager). Views parse with an input serializer, call seating.services.venues, render."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX
from core.drf import BoundedJSONField, page_of, validated
from core.roles import HasRole, Role
from seating.models import (
    RowStrategy,
    Seat,
    SeatType,
    Sector,
    SectorSeatMap,
    SectorType,
    SnakeConfig,
    Stadium,
    StadiumType,
    Traversal,
)
from seating.services import venues

MANAGER = [HasRole(Role.MATCH_MANAGER)]


class UpperChoiceField(serializers.ChoiceField):
    """Choices matched case-insensitively ("away" is AWAY)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


# --- Serializers ----------------------------------------------------------------------------

class StadiumIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    city = serializers.CharField(max_length=80)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", max_length=2, default="HR",
                                     error_messages={"invalid": "Use a two-letter country code."})
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    stadium_type = UpperChoiceField(StadiumType.choices, default=StadiumType.HOME)
    base_capacity = serializers.IntegerField(min_value=0, default=0)
    is_numbered = serializers.BooleanField(default=True)

    def validate_country(self, value):
        return value.upper()


class StadiumListIn(serializers.Serializer):
    type = UpperChoiceField(StadiumType.choices, required=False)


class StadiumOut(serializers.ModelSerializer):
    class Meta:
        model = Stadium
        fields = ("id", "name", "city", "country", "address", "stadium_type", "base_capacity",
                  "is_numbered", "created_at", "updated_at")


class StadiumListOut(StadiumOut):
    sector_count = serializers.IntegerField(read_only=True)

    class Meta(StadiumOut.Meta):
        fields = (*StadiumOut.Meta.fields, "sector_count")


class SectorIn(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    code = serializers.CharField(max_length=20)
    capacity = serializers.IntegerField(min_value=0)
    sector_type = UpperChoiceField(SectorType.choices, default=SectorType.STANDARD)
    display_order = serializers.IntegerField(min_value=0, default=0)


class SectorOut(serializers.ModelSerializer):
    has_seat_map = serializers.SerializerMethodField()

    class Meta:
        model = Sector
        fields = ("id", "stadium_id", "name", "code", "capacity", "sector_type", "seat_count",
                  "display_order", "has_seat_map", "created_at")

    def get_has_seat_map(self, sector) -> bool:
        return hasattr(sector, "seat_map")


class SeatMapSummaryOut(serializers.ModelSerializer):
    class Meta:
        model = SectorSeatMap
        fields = ("id", "total_seats", "configuration_status", "updated_at")


class SectorDetailOut(SectorOut):
    seat_map = serializers.SerializerMethodField()

    class Meta(SectorOut.Meta):
        fields = (*SectorOut.Meta.fields, "seat_map")

    def get_seat_map(self, sector) -> dict | None:
        seat_map = getattr(sector, "seat_map", None)
        return SeatMapSummaryOut(seat_map).data if seat_map else None


class StadiumDetailOut(StadiumOut):
    sectors = SectorOut(many=True, read_only=True)

    class Meta(StadiumOut.Meta):
        fields = (*StadiumOut.Meta.fields, "sectors")


class SeatMapOut(serializers.ModelSerializer):
    class Meta:
        model = SectorSeatMap
        fields = ("id", "sector_id", "seat_map_json", "total_seats", "configuration_status",
                  "created_at", "updated_at")


class SeatOut(serializers.ModelSerializer):
    class Meta:
        model = Seat
        fields = ("id", "sector_id", "row_identifier", "seat_number", "seat_type", "grid_row",
                  "grid_col")


class PlannedSeatOut(serializers.Serializer):
    """A seat as generation would create it (preview: no id yet)."""

    row_identifier = serializers.CharField()
    seat_number = serializers.IntegerField()
    seat_type = serializers.CharField()
    grid_row = serializers.IntegerField()
    grid_col = serializers.IntegerField()


class GenerateIn(serializers.Serializer):
    preview = serializers.BooleanField(default=False)
    force_regenerate = serializers.BooleanField(default=False)


class GenerateOut(serializers.Serializer):
    preview = serializers.BooleanField()
    total = serializers.IntegerField()
    seats = PlannedSeatOut(many=True)


class SeatTypeIn(serializers.Serializer):
    seat_type = UpperChoiceField(SeatType.choices)


class ClassifyIn(SeatTypeIn):
    seat_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                     required=False, max_length=5000)
    rows = serializers.ListField(child=serializers.CharField(max_length=10), required=False,
                                 max_length=ITEMS_MAX)
    numbers = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                    required=False, max_length=ITEMS_MAX)

    def validate(self, attrs):
        if not attrs.get("seat_ids") and not attrs.get("rows"):
            raise serializers.ValidationError("Give seat_ids, or rows (and optionally numbers).")
        return attrs


class ClassifyOut(serializers.Serializer):
    updated = serializers.IntegerField()
    seats = SeatOut(many=True)


class SnakeConfigIn(serializers.Serializer):
    best_row_index = serializers.IntegerField(min_value=0, required=False)
    traversal_direction = UpperChoiceField(Traversal.choices, required=False)
    within_row_strategy = UpperChoiceField(RowStrategy.choices, required=False)
    # Shape and overlaps are business rules (422), checked by the service.
    subsector_grouping_json = BoundedJSONField(required=False)


class SnakeConfigOut(serializers.ModelSerializer):
    class Meta:
        model = SnakeConfig
        fields = ("sector_id", "best_row_index", "traversal_direction", "within_row_strategy",
                  "subsector_grouping_json", "updated_at")


# --- Stadiums and sectors -------------------------------------------------------------------

class StadiumsView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], responses=page_of(StadiumListOut),
                   parameters=[OpenApiParameter("type", str, enum=StadiumType.values)],
                   summary="Stadium templates (home) and away stadiums")
    def get(self, request):
        query = validated(StadiumListIn, request.query_params)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(venues.stadium_list(stadium_type=query.get("type")),
                                           request, view=self)
        return paginator.get_paginated_response(StadiumListOut(page, many=True).data)

    @extend_schema(tags=["admin"], request=StadiumIn, responses={201: StadiumOut},
                   summary="Create a stadium template or an away stadium")
    def post(self, request):
        stadium = venues.stadium_create(data=validated(StadiumIn, request.data),
                                        actor=request.user, request=request)
        return Response(StadiumOut(stadium).data, status=status.HTTP_201_CREATED)


class StadiumDetailView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], responses=StadiumDetailOut)
    def get(self, request, stadium_id):
        stadium = venues.stadium_get(stadium_id=stadium_id, with_sectors=True)
        return Response(StadiumDetailOut(stadium).data)


class SectorsView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], responses=SectorOut(many=True))
    def get(self, request, stadium_id):
        stadium = venues.stadium_get(stadium_id=stadium_id)
        return Response(SectorOut(venues.sector_list(stadium=stadium), many=True).data)

    @extend_schema(tags=["admin"], request=SectorIn, responses={201: SectorOut})
    def post(self, request, stadium_id):
        stadium = venues.stadium_get(stadium_id=stadium_id)
        sector = venues.sector_create(stadium=stadium, data=validated(SectorIn, request.data),
                                      actor=request.user, request=request)
        return Response(SectorOut(sector).data, status=status.HTTP_201_CREATED)


class SectorDetailView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], responses=SectorDetailOut)
    def get(self, request, stadium_id, sector_id):
        sector = venues.sector_get(sector_id=sector_id, stadium_id=stadium_id)
        return Response(SectorDetailOut(sector).data)

    @extend_schema(tags=["admin"], request=SectorIn, responses=SectorDetailOut,
                   summary="Update a sector (fields left out keep their value)")
    def put(self, request, stadium_id, sector_id):
        sector = venues.sector_get(sector_id=sector_id, stadium_id=stadium_id)
        data = SectorIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        sector = venues.sector_update(sector=sector, data=data.validated_data,
                                      actor=request.user, request=request)
        return Response(SectorDetailOut(sector).data)

    @extend_schema(tags=["admin"], responses={204: None},
                   summary="Delete a sector (refused while it has a seat map or a match uses it)")
    def delete(self, request, stadium_id, sector_id):
        sector = venues.sector_get(sector_id=sector_id, stadium_id=stadium_id)
        venues.sector_delete(sector=sector, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Seat maps, seats, snake config ---------------------------------------------------------

def _seat_map_body(request) -> dict:
    """The editor posts the map itself; a {"seat_map_json": {...}} wrapper is accepted too."""
    data = request.data
    return data.get("seat_map_json", data) if hasattr(data, "get") else data


class SeatMapView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], responses=SeatMapOut)
    def get(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        return Response(SeatMapOut(venues.seat_map_get(sector=sector)).data)

    @extend_schema(tags=["admin"], request=OpenApiTypes.OBJECT, responses={201: SeatMapOut})
    def post(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        seat_map = venues.seat_map_create(sector=sector, data=_seat_map_body(request),
                                          actor=request.user, request=request)
        return Response(SeatMapOut(seat_map).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["admin"], request=OpenApiTypes.OBJECT, responses=SeatMapOut)
    def put(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        seat_map = venues.seat_map_update(sector=sector, data=_seat_map_body(request),
                                          actor=request.user, request=request)
        return Response(SeatMapOut(seat_map).data)

    @extend_schema(tags=["admin"], responses={204: None})
    def delete(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        venues.seat_map_delete(sector=sector, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["admin"], responses=dict,
               summary="The JSON Schema a seat map (seat_map_json) must match")
class SeatMapSchemaView(APIView):
    permission_classes = MANAGER

    def get(self, request):
        return Response(venues.SEAT_MAP_SCHEMA)


class SeatsGenerateView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], request=GenerateIn, responses={200: GenerateOut,
                                                                   201: GenerateOut},
                   summary="Generate the sector's seats from its map (preview: list only)")
    def post(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        options = validated(GenerateIn, request.data)
        seats = venues.seats_generate(sector=sector, **options, actor=request.user,
                                      request=request)
        if options["preview"]:
            body = {"preview": True, "total": len(seats),
                    "seats": PlannedSeatOut(seats, many=True).data}
            return Response(body)
        body = {"preview": False, "total": len(seats),
                "seats": SeatOut(venues.seat_list(sector=sector), many=True).data}
        return Response(body, status=status.HTTP_201_CREATED)


class SeatsClassifyView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], request=ClassifyIn, responses=ClassifyOut)
    def post(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        seats = venues.seats_classify(sector=sector, **validated(ClassifyIn, request.data),
                                      actor=request.user, request=request)
        return Response({"updated": len(seats), "seats": SeatOut(seats, many=True).data})


class SeatTypeView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], request=SeatTypeIn, responses=SeatOut)
    def put(self, request, seat_id):
        seat = venues.seat_get(seat_id=seat_id)
        seat = venues.seat_type_set(seat=seat, **validated(SeatTypeIn, request.data),
                                    actor=request.user, request=request)
        return Response(SeatOut(seat).data)


class SnakeConfigView(APIView):
    permission_classes = MANAGER

    @extend_schema(tags=["admin"], responses=SnakeConfigOut)
    def get(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        return Response(SnakeConfigOut(venues.snake_config_get(sector=sector)).data)

    @extend_schema(tags=["admin"], request=SnakeConfigIn, responses=SnakeConfigOut,
                   summary="Update the snake config (re-ranks the inventory of its matches)")
    def put(self, request, sector_id):
        sector = venues.sector_get(sector_id=sector_id)
        config = venues.snake_config_update(sector=sector, data=validated(SnakeConfigIn,
                                                                        request.data),
                                            actor=request.user, request=request)
        return Response(SnakeConfigOut(config).data)
