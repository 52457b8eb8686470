"""Back-office match API (Match Manager): matches and their status (E2-F1), sales phases
(E2-F2), and each match's stadium configuration, price categories and sectors (E2-F4).
Views parse with an input serializer, call a service, render with an output serializer."""

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX, NOTE_MAX_LENGTH
from core.drf import BoundedJSONField, validated
from core.roles import HasRole, Role
from seating.models import (
    MatchSectorStatus,
    MatchStatus,
    MatchType,
    NotificationPreference,
    PhaseType,
    SectorPurpose,
)
from seating.schemas import schema_load
from seating.services import match_config, matches

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class MatchManagerView(APIView):
    permission_classes = [HasRole(Role.MATCH_MANAGER)]


# --- Serializers ----------------------------------------------------------------------------

class MatchIn(serializers.Serializer):
    home_team = serializers.CharField(max_length=100)
    away_team = serializers.CharField(max_length=100)
    competition = serializers.CharField(max_length=120, required=False, allow_blank=True)
    kick_off_time = serializers.DateTimeField()
    venue_id = serializers.IntegerField(required=False, allow_null=True)
    match_type = serializers.ChoiceField(MatchType.choices)
    is_numbered = serializers.BooleanField(required=False, default=True)
    fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0,
                                           max_value=100, required=False)

    def validate_kick_off_time(self, value):
        # Found by the API fuzzer: year 267 was accepted (and shown with Zagreb's 1890s offset).
        if not 2000 <= value.year <= 2099:
            raise serializers.ValidationError("Give a kick-off time between 2000 and 2099.")
        return value


class MatchUpdateIn(MatchIn):
    is_numbered = serializers.BooleanField(required=False)
    notification_preference = serializers.ChoiceField(
        NotificationPreference.choices, required=False, default=NotificationPreference.SILENT,
        help_text="notify: email and push every ticket holder about the change")
    status = serializers.ChoiceField(MatchStatus.choices, required=False)
    reason = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True)


class MatchStatusIn(serializers.Serializer):
    status = serializers.ChoiceField(MatchStatus.choices)
    notification_preference = serializers.ChoiceField(
        NotificationPreference.choices, required=False, default=NotificationPreference.SILENT)
    reason = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True,
                                   default="")


class MatchFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(MatchStatus.choices, required=False)
    match_type = serializers.ChoiceField(MatchType.choices, required=False)


class MatchOut(serializers.Serializer):
    id = serializers.IntegerField()
    home_team = serializers.CharField()
    away_team = serializers.CharField()
    competition = serializers.CharField()
    kick_off_time = serializers.DateTimeField()
    venue_id = serializers.IntegerField(allow_null=True)
    venue_name = serializers.CharField(source="venue.name", default=None, allow_null=True)
    match_type = serializers.CharField()
    is_numbered = serializers.BooleanField()
    status = serializers.CharField()
    stadium_config_status = serializers.CharField()
    fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    closed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancellation_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SalesPhaseIn(serializers.Serializer):
    phase_type = serializers.ChoiceField(PhaseType.choices)
    name = serializers.CharField(max_length=100)
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    eligibility_rules_json = BoundedJSONField(required=False)
    ticket_limit = serializers.IntegerField(min_value=1, required=False)
    is_active = serializers.BooleanField(required=False, default=True)

    def validate_eligibility_rules_json(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class SalesPhaseUpdateIn(SalesPhaseIn):
    is_active = serializers.BooleanField(required=False)


class SalesPhaseOut(serializers.Serializer):
    id = serializers.IntegerField()
    match_id = serializers.IntegerField()
    phase_type = serializers.CharField()
    name = serializers.CharField()
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    eligibility_rules_json = serializers.JSONField()
    ticket_limit = serializers.IntegerField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class PriceCategoryIn(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    price = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3, required=False)
    color = serializers.RegexField(COLOR, max_length=7, required=False)


class PriceCategoryOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    currency = serializers.CharField()
    color = serializers.CharField()


class MatchSectorOut(serializers.Serializer):
    id = serializers.IntegerField()
    sector_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    code = serializers.CharField()
    total_capacity = serializers.IntegerField()
    technical_seats = serializers.IntegerField()
    sellable_capacity = serializers.IntegerField()
    price_category_id = serializers.IntegerField(allow_null=True)
    price_category_name = serializers.CharField(source="price_category.name", default=None)
    status = serializers.CharField()
    purpose = serializers.CharField()
    is_numbered = serializers.BooleanField()
    has_seat_map = serializers.BooleanField()
    display_order = serializers.IntegerField()


class MatchSectorIn(serializers.Serializer):
    sector_id = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=80, required=False)
    code = serializers.CharField(max_length=20, required=False)
    total_capacity = serializers.IntegerField(min_value=1, required=False)
    technical_seats = serializers.IntegerField(min_value=0, required=False)
    sellable_capacity = serializers.IntegerField(min_value=0, required=False)
    price_category_id = serializers.IntegerField(required=False, allow_null=True)
    status = serializers.ChoiceField(MatchSectorStatus.choices, required=False)
    purpose = serializers.ChoiceField(SectorPurpose.choices, required=False)


class MatchSectorUpdateIn(serializers.Serializer):
    status = serializers.ChoiceField(MatchSectorStatus.choices, required=False)
    purpose = serializers.ChoiceField(SectorPurpose.choices, required=False)
    price_category_id = serializers.IntegerField(required=False, allow_null=True)
    sellable_capacity = serializers.IntegerField(min_value=0, required=False)


class MatchSectorBulkIn(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1,
                                max_length=ITEMS_MAX)
    status = serializers.ChoiceField(MatchSectorStatus.choices, required=False)
    purpose = serializers.ChoiceField(SectorPurpose.choices, required=False)
    price_category_id = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, attrs):
        if not {"status", "purpose", "price_category_id"} & attrs.keys():
            raise serializers.ValidationError("Give at least one of status, purpose or "
                                              "price_category_id.")
        return attrs


class NewSectorIn(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    code = serializers.CharField(max_length=20)
    capacity = serializers.IntegerField(min_value=1)


class NewStadiumIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    city = serializers.CharField(max_length=80)
    country = serializers.RegexField(r"^[A-Z]{2}$", max_length=2, required=False, default="HR")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                    default="")
    is_numbered = serializers.BooleanField(required=False, default=False)
    sectors = NewSectorIn(many=True, allow_empty=False, max_length=ITEMS_MAX)


class StadiumConfigIn(serializers.Serializer):
    stadium_template_id = serializers.IntegerField(required=False)
    import_from_match_id = serializers.IntegerField(required=False)
    create_new = NewStadiumIn(required=False)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError("Give exactly one of stadium_template_id, "
                                              "import_from_match_id or create_new.")
        return attrs


class VenueOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    stadium_type = serializers.CharField()


class StadiumConfigOut(serializers.Serializer):
    match_id = serializers.IntegerField(source="match.id")
    venue = VenueOut(allow_null=True)
    stadium_config_status = serializers.CharField()
    total_capacity = serializers.IntegerField()
    technical_seats = serializers.IntegerField()
    sellable_capacity = serializers.IntegerField()
    sectors = MatchSectorOut(many=True)
    price_categories = PriceCategoryOut(many=True)


class ProblemOut(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    sector_id = serializers.IntegerField(allow_null=True)


class ValidationOut(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = ProblemOut(many=True)
    stadium_config_status = serializers.CharField()


def _stadium(match_id: int) -> Response:
    return Response(StadiumConfigOut(match_config.match_stadium_get(match_id=match_id)).data)


# --- Matches --------------------------------------------------------------------------------

@extend_schema(tags=["admin: matches"])
class MatchListView(GenericAPIView, MatchManagerView):
    serializer_class = MatchOut

    @extend_schema(operation_id="admin_matches_list", responses=MatchOut(many=True),
                   parameters=[OpenApiParameter("status", str),
                               OpenApiParameter("match_type", str)])
    def get(self, request):
        filters = validated(MatchFilterIn, request.query_params)
        page = self.paginate_queryset(matches.match_list(**filters))
        return self.get_paginated_response(MatchOut(page, many=True).data)

    @extend_schema(request=MatchIn, responses={201: MatchOut})
    def post(self, request):
        match = matches.match_create(**validated(MatchIn, request.data), actor=request.user,
                                     request=request)
        return Response(MatchOut(match).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["admin: matches"])
class MatchDetailView(MatchManagerView):
    @extend_schema(responses=MatchOut)
    def get(self, request, match_id: int):
        return Response(MatchOut(matches.match_get(match_id=match_id)).data)

    @extend_schema(request=MatchUpdateIn, responses=MatchOut)
    def put(self, request, match_id: int):
        data = validated(MatchUpdateIn, request.data, partial=True)
        preference = data.pop("notification_preference", NotificationPreference.SILENT)
        match = matches.match_update(match_id=match_id, actor=request.user, data=data,
                                     request=request, notification_preference=preference)
        return Response(MatchOut(match).data)

    @extend_schema(responses={204: None})
    def delete(self, request, match_id: int):
        matches.match_delete(match_id=match_id, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["admin: matches"])
class MatchStatusView(MatchManagerView):
    @extend_schema(request=MatchStatusIn, responses=MatchOut,
                   summary="Move the match along DRAFT → PUBLISHED → ACTIVE → CLOSED, or cancel")
    def post(self, request, match_id: int):
        data = validated(MatchStatusIn, request.data)
        match = matches.match_status_change(
            match_id=match_id, to_status=data["status"], reason=data["reason"],
            actor=request.user, request=request,
            notification_preference=data["notification_preference"])
        return Response(MatchOut(match).data)


# --- Sales phases ---------------------------------------------------------------------------

@extend_schema(tags=["admin: sales phases"])
class SalesPhaseListView(MatchManagerView):
    @extend_schema(responses=SalesPhaseOut(many=True))
    def get(self, request, match_id: int):
        phases = matches.sales_phase_list(match_id=match_id)
        return Response(SalesPhaseOut(phases, many=True).data)

    @extend_schema(request=SalesPhaseIn, responses={201: SalesPhaseOut})
    def post(self, request, match_id: int):
        data = validated(SalesPhaseIn, request.data)
        phase = matches.sales_phase_create(match_id=match_id, **data, actor=request.user,
                                           request=request)
        return Response(SalesPhaseOut(phase).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["admin: sales phases"])
class SalesPhaseDetailView(MatchManagerView):
    @extend_schema(request=SalesPhaseUpdateIn, responses=SalesPhaseOut)
    def put(self, request, match_id: int, phase_id: int):
        data = validated(SalesPhaseUpdateIn, request.data, partial=True)
        phase = matches.sales_phase_update(match_id=match_id, phase_id=phase_id, data=data,
                                           actor=request.user, request=request)
        return Response(SalesPhaseOut(phase).data)

    @extend_schema(responses={204: None})
    def delete(self, request, match_id: int, phase_id: int):
        matches.sales_phase_delete(match_id=match_id, phase_id=phase_id, actor=request.user,
                                   request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["admin: sales phases"], responses=dict,
               summary="The JSON Schema that eligibility_rules_json must match")
class EligibilityRulesSchemaView(MatchManagerView):
    def get(self, request):
        return Response(schema_load("eligibility_rules"))


# --- Stadium configuration --------------------------------------------------------------------

@extend_schema(tags=["admin: match stadium"])
class MatchStadiumView(MatchManagerView):
    @extend_schema(responses=StadiumConfigOut)
    def get(self, request, match_id: int):
        return _stadium(match_id)

    @extend_schema(request=StadiumConfigIn, responses={201: StadiumConfigOut},
                   summary="Set up the match's sectors from a template, an earlier match or a "
                           "new away stadium")
    def post(self, request, match_id: int):
        data = validated(StadiumConfigIn, request.data)
        common = {"match_id": match_id, "actor": request.user, "request": request}
        if "stadium_template_id" in data:
            match_config.match_stadium_copy_template(
                stadium_template_id=data["stadium_template_id"], **common)
        elif "import_from_match_id" in data:
            match_config.match_stadium_import(
                import_from_match_id=data["import_from_match_id"], **common)
        else:
            match_config.match_stadium_create_new(**data["create_new"], **common)
        response = _stadium(match_id)
        response.status_code = status.HTTP_201_CREATED
        return response


@extend_schema(tags=["admin: match stadium"])
class MatchStadiumValidateView(MatchManagerView):
    @extend_schema(request=None, responses=ValidationOut,
                   summary="Check the configuration; lock it when it is valid")
    def post(self, request, match_id: int):
        result = match_config.match_stadium_validate(match_id=match_id, actor=request.user,
                                                     request=request)
        return Response(ValidationOut(result).data)


@extend_schema(tags=["admin: match stadium"])
class MatchStadiumUnlockView(MatchManagerView):
    @extend_schema(request=None, responses=StadiumConfigOut)
    def post(self, request, match_id: int):
        match_config.match_stadium_unlock(match_id=match_id, actor=request.user, request=request)
        return _stadium(match_id)


@extend_schema(tags=["admin: match stadium"])
class PriceCategoryListView(MatchManagerView):
    @extend_schema(responses=PriceCategoryOut(many=True))
    def get(self, request, match_id: int):
        match = matches.match_get(match_id=match_id)
        items = match_config.price_category_list(match=match)
        return Response(PriceCategoryOut(items, many=True).data)

    @extend_schema(request=PriceCategoryIn, responses={201: PriceCategoryOut})
    def post(self, request, match_id: int):
        category = match_config.price_category_create(
            match_id=match_id, **validated(PriceCategoryIn, request.data), actor=request.user,
            request=request)
        return Response(PriceCategoryOut(category).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["admin: match stadium"])
class PriceCategoryDetailView(MatchManagerView):
    @extend_schema(request=PriceCategoryIn, responses=PriceCategoryOut)
    def put(self, request, match_id: int, category_id: int):
        data = validated(PriceCategoryIn, request.data, partial=True)
        category = match_config.price_category_update(
            match_id=match_id, category_id=category_id, data=data, actor=request.user,
            request=request)
        return Response(PriceCategoryOut(category).data)

    @extend_schema(responses={204: None})
    def delete(self, request, match_id: int, category_id: int):
        match_config.price_category_delete(match_id=match_id, category_id=category_id,
                                           actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["admin: match stadium"])
class MatchSectorListView(MatchManagerView):
    @extend_schema(responses=MatchSectorOut(many=True))
    def get(self, request, match_id: int):
        match = matches.match_get(match_id=match_id)
        items = match_config.match_sector_list(match=match)
        return Response(MatchSectorOut(items, many=True).data)

    @extend_schema(request=MatchSectorIn, responses={201: MatchSectorOut})
    def post(self, request, match_id: int):
        sector = match_config.match_sector_create(
            match_id=match_id, **validated(MatchSectorIn, request.data), actor=request.user,
            request=request)
        return Response(MatchSectorOut(sector).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["admin: match stadium"])
class MatchSectorDetailView(MatchManagerView):
    @extend_schema(request=MatchSectorUpdateIn, responses=MatchSectorOut)
    def put(self, request, match_id: int, match_sector_id: int):
        sector = match_config.match_sector_update(
            match_id=match_id, match_sector_id=match_sector_id,
            data=validated(MatchSectorUpdateIn, request.data), actor=request.user, request=request)
        return Response(MatchSectorOut(sector).data)


@extend_schema(tags=["admin: match stadium"])
class MatchSectorBulkView(MatchManagerView):
    @extend_schema(request=MatchSectorBulkIn, responses=MatchSectorOut(many=True),
                   summary="The same change to several sectors, all or nothing")
    def put(self, request, match_id: int):
        data = validated(MatchSectorBulkIn, request.data)
        sectors = match_config.match_sectors_bulk_update(
            match_id=match_id, ids=data.pop("ids"), data=data, actor=request.user,
            request=request)
        return Response(MatchSectorOut(sectors, many=True).data)
