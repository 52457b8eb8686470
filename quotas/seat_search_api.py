"""GET /api/admin/seats/search (E3-F4): seating's seat search, plus the filters only the top
layer can answer: a quota's seats and everything an email holds, bought or was sent."""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from quotas.selectors import seat_ids_of_quota, seat_ids_of_recipient
from seating.api import inventory
from ticketing.selectors.orders import seat_ids_of_email


class SeatSearchQuery(inventory.SeatSearchQuery):
    quota_id = serializers.IntegerField(required=False)
    email = serializers.CharField(required=False, max_length=254)


@extend_schema(tags=["admin"], parameters=[
    *inventory.SEAT_SEARCH_PARAMETERS,
    OpenApiParameter("quota_id", int, description="seats of a quota or subquota"),
    OpenApiParameter("email", str, description="ticket holder, buyer, quota recipient or "
                                               "current holder")])
class SeatSearchView(inventory.SeatSearchView):
    """Find seats across matches; filters combine (including by quota and by e-mail)."""

    query_class = SeatSearchQuery

    def where(self, query: dict) -> Q | None:
        where = Q()
        if (quota_id := query.get("quota_id")) is not None:
            where &= Q(id__in=seat_ids_of_quota(quota_id))
        if email := query.get("email"):
            where &= (Q(id__in=seat_ids_of_email(email)) | Q(id__in=seat_ids_of_recipient(email))
                      | Q(held_by__email__iexact=email))
        return where or None
