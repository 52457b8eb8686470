"""Back-office seat inventory API (E3-F2..F5): single and bulk status changes, seat search, the
per-match seat list for the stadium view and the per-sector status summary. Match Managers
write; Support Agents may read."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import HasRole, Role
from seating import selectors
from seating.models import STATUS_COLORS, BulkStatusJob, Match, SeatInventory, SeatStatus
from seating.services import seat_admin
from seating.services.inventory import effective_status

WRITE = [HasRole(Role.MATCH_MANAGER)]
READ = [HasRole(Role.MATCH_MANAGER, Role.SUPPORT_AGENT)]


class SeatPagination(PageNumberPagination):
    """?page=N&limit=M (default 50, at most 1000)."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 1000


class StatusList(serializers.ListField):
    """A list of statuses from repeated params (?status=A&status=B), "A,B", or a JSON list."""

    child = serializers.ChoiceField(choices=SeatStatus.choices)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        data = [part.strip().upper() for item in data for part in str(item).split(",")
                if part.strip()]
        return super().to_internal_value(data)


def _statuses(request) -> list[str]:
    values = [part.strip().upper() for item in request.query_params.getlist("status")
              for part in item.split(",") if part.strip()]
    if unknown := [v for v in values if v not in SeatStatus.values]:
        raise serializers.ValidationError({"status": [f"Unknown status {', '.join(unknown)}."]})
    return values


class InventorySeatOut(serializers.ModelSerializer):
    sector_code = serializers.CharField(source="match_sector.code")
    status = serializers.SerializerMethodField()
    color = serializers.SerializerMethodField()

    class Meta:
        model = SeatInventory
        fields = ("id", "match_id", "match_sector_id", "sector_code", "row_label", "seat_number",
                  "grid_row", "grid_col", "status", "color", "version", "hold_expires_at",
                  "last_modified_at")

    def get_status(self, obj) -> str:
        return effective_status(obj, self.context.setdefault("now", timezone.now()))

    def get_color(self, obj) -> str:
        return STATUS_COLORS[self.get_status(obj)]


class SeatStatusView(APIView):
    """Change one seat's status (Match Manager). A seat held in a cart is changed all the same
    and the response carries a `warning`."""

    permission_classes = WRITE

    class SeatStatusIn(serializers.Serializer):
        status = serializers.ChoiceField(choices=SeatStatus.choices)
        reason = serializers.CharField(max_length=200)

    class SeatStatusOut(InventorySeatOut):
        warning = serializers.CharField(allow_null=True)

        class Meta(InventorySeatOut.Meta):
            fields = (*InventorySeatOut.Meta.fields, "warning")

    @extend_schema(tags=["admin"], request=SeatStatusIn, responses=SeatStatusOut)
    def put(self, request, inventory_id: int):
        data = self.SeatStatusIn(data=request.data)
        data.is_valid(raise_exception=True)
        change = seat_admin.seat_status_set(inventory_id=inventory_id,
                                            to_status=data.validated_data["status"],
                                            reason=data.validated_data["reason"],
                                            actor=request.user)
        change.seat.warning = change.warning
        return Response(self.SeatStatusOut(change.seat).data)


class BulkJobOut(serializers.ModelSerializer):
    skipped = serializers.JSONField(source="skipped_json")
    selection = serializers.SerializerMethodField()

    class Meta:
        model = BulkStatusJob
        fields = ("id", "match_id", "status", "target_status", "reason", "selection", "total",
                  "processed", "changed", "skipped", "error_message", "created_at",
                  "finished_at")

    def get_selection(self, obj) -> dict:
        return {k: v for k, v in obj.selection_json.items() if k != "inventory_ids"}


class BulkStatusView(APIView):
    """Start a bulk status change (Match Manager): `seat_ids`, or a `sector` (match sector id or
    code), optionally narrowed to rows `from_row`..`to_row`; optionally only seats currently in
    `current_status`. Answers 202 with the job; poll GET bulk-status/{id} for progress."""

    permission_classes = WRITE

    class BulkStatusIn(serializers.Serializer):
        match_id = serializers.IntegerField()
        status = serializers.ChoiceField(choices=SeatStatus.choices)
        reason = serializers.CharField(max_length=200)
        seat_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                         allow_empty=False, max_length=50_000)
        sector = serializers.CharField(required=False, max_length=20)
        from_row = serializers.CharField(required=False, max_length=10)
        to_row = serializers.CharField(required=False, max_length=10)
        current_status = StatusList(required=False)

        def validate(self, attrs):
            if bool(attrs.get("seat_ids")) == bool(attrs.get("sector")):
                raise serializers.ValidationError(
                    {"seat_ids": ["Give either seat_ids or a sector, not both."]})
            if (attrs.get("from_row") or attrs.get("to_row")) and not attrs.get("sector"):
                raise serializers.ValidationError({"sector": ["Row ranges need a sector."]})
            return attrs

    @extend_schema(tags=["admin"], request=BulkStatusIn, responses={202: BulkJobOut})
    def post(self, request):
        data = self.BulkStatusIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        job = seat_admin.bulk_status_job_create(
            match_id=v["match_id"], to_status=v["status"], reason=v["reason"],
            actor=request.user, seat_ids=v.get("seat_ids"), sector=v.get("sector"),
            from_row=v.get("from_row"), to_row=v.get("to_row"),
            current_statuses=v.get("current_status"))
        job.refresh_from_db()  # eager Celery (tests, dev) may have finished it already
        return Response(BulkJobOut(job).data, status=status.HTTP_202_ACCEPTED)


class BulkStatusJobView(APIView):
    """Progress of a bulk status change."""

    permission_classes = READ

    @extend_schema(tags=["admin"], responses=BulkJobOut)
    def get(self, request, job_id: int):
        return Response(BulkJobOut(get_object_or_404(BulkStatusJob, pk=job_id)).data)


class SearchSeatOut(InventorySeatOut):
    match = serializers.SerializerMethodField()

    class Meta(InventorySeatOut.Meta):
        fields = (*InventorySeatOut.Meta.fields, "match")

    def get_match(self, obj) -> dict:
        return {"id": obj.match_id, "home_team": obj.match.home_team,
                "away_team": obj.match.away_team, "kick_off_time": obj.match.kick_off_time}


SEAT_SEARCH_PARAMETERS = [
    OpenApiParameter("seat_number", int), OpenApiParameter("row", str),
    OpenApiParameter("sector", str, description="match sector code"),
    OpenApiParameter("match_id", int), OpenApiParameter("status", str, many=True),
    OpenApiParameter("date_from", str, description="kick-off on or after (YYYY-MM-DD)"),
    OpenApiParameter("date_to", str, description="kick-off on or before (YYYY-MM-DD)"),
    OpenApiParameter("limit", int)]


class SeatSearchQuery(serializers.Serializer):
    seat_number = serializers.IntegerField(required=False, min_value=0)
    row = serializers.CharField(required=False, max_length=10)
    sector = serializers.CharField(required=False, max_length=20)
    match_id = serializers.IntegerField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


SEARCH_FILTERS = ("seat_number", "row", "sector", "match_id", "date_from", "date_to")


class SeatSearchView(ListAPIView):
    """Find seats across matches; filters combine. The apps above extend the query (by quota,
    by email) through `query_class` and `where`; the URL is theirs (quotas.seat_search_api)."""

    permission_classes = READ
    serializer_class = SearchSeatOut
    pagination_class = SeatPagination
    query_class = SeatSearchQuery

    def where(self, query: dict):
        """The condition the extra filters add, or None."""
        return None

    def get_queryset(self):
        query = self.query_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = {name: data[name] for name in SEARCH_FILTERS if name in data}
        return selectors.seats_search(**filters, where=self.where(data),
                                      statuses=_statuses(self.request))


@extend_schema(tags=["admin"], parameters=[
    OpenApiParameter("sector", str, description="match sector id or code"),
    OpenApiParameter("status", str, many=True), OpenApiParameter("row", str, many=True),
    OpenApiParameter("limit", int)])
class MatchSeatsView(ListAPIView):
    """A match's seats with grid coordinates and status colours, for the stadium view."""

    permission_classes = READ
    serializer_class = InventorySeatOut
    pagination_class = SeatPagination

    def get_queryset(self):
        match = get_object_or_404(Match.objects.only("id"), pk=self.kwargs["match_id"])
        params = self.request.query_params
        return selectors.match_seats(match_id=match.id, sector=params.get("sector"),
                                     statuses=_statuses(self.request),
                                     rows=[r for r in params.getlist("row") if r])


class StatusSummaryView(APIView):
    """Per match sector: capacity, a count for every status, the dominant status and the
    colours (cached for settings.STATUS_SUMMARY_CACHE_SECONDS, dropped on every change)."""

    permission_classes = READ

    @extend_schema(tags=["admin"], responses=dict)
    def get(self, request, match_id: int):
        get_object_or_404(Match.objects.only("id"), pk=match_id)
        return Response(selectors.status_summary(match_id=match_id))
