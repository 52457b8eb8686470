"""Back-office quota API (Quota Manager): create (E7-F1), list, detail, cancel (E7-F7).
The CSV import (E7-F2/F3) lives in quotas.import_api."""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import EMAIL_MAX_LENGTH, ITEMS_MAX, NOTE_MAX_LENGTH
from core.drf import validated
from core.errors import NotFound
from core.roles import HasRole, Role
from quotas import selectors
from quotas.models import Quota, QuotaStatus, QuotaType
from quotas.services import cancellation
from quotas.services.common import generic_change_check
from quotas.services.creation import QuotaRequest, quota_create
from seating.services.allocation import Algorithm


class QuotaManagerView(APIView):
    permission_classes = [HasRole(Role.QUOTA_MANAGER)]


class QuotaIn(serializers.Serializer):
    match_id = serializers.IntegerField()
    recipient_email = serializers.CharField(max_length=EMAIL_MAX_LENGTH)
    recipient_name = serializers.CharField(max_length=200, required=False, default="",
                                           allow_blank=True)
    internal_note = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, default="",
                                          allow_blank=True)
    sector_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                       default=list, max_length=ITEMS_MAX)
    quantity = serializers.IntegerField(min_value=1)
    discount_code = serializers.CharField(max_length=20, required=False, default="",
                                          allow_blank=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0,
                                                max_value=100, required=False, allow_null=True)
    algorithm = serializers.ChoiceField(Algorithm.choices, required=False,
                                        default=Algorithm.NM)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    can_create_subquotas = serializers.BooleanField(required=False, default=False)
    deferred_payment = serializers.BooleanField(required=False, default=False)
    transfer_allowed = serializers.BooleanField(required=False, default=False)
    auto_send_email = serializers.BooleanField(required=False, default=True)
    quota_type = serializers.ChoiceField(QuotaType.choices, required=False,
                                         default=QuotaType.STANDARD,
                                         help_text="PETROL is refused: see /api/admin/petrol")


class QuotaFilterIn(serializers.Serializer):
    match_id = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(QuotaStatus.choices, required=False)
    quota_type = serializers.ChoiceField(QuotaType.choices, required=False)
    batch_id = serializers.IntegerField(required=False)
    email = serializers.CharField(max_length=EMAIL_MAX_LENGTH, required=False)


def admin_view(quota: Quota) -> dict:
    return selectors.quota_summary(quota) | {
        "internal_note": quota.internal_note, "algorithm": quota.algorithm,
        "batch_id": quota.batch_id, "auto_send_email": quota.auto_send_email,
        "invitation_sent_at": quota.invitation_sent_at, "created_at": quota.created_at,
        "created_by": quota.created_by_id and quota.created_by.email,
        "sector_ids": sorted(quota.sectors.values_list("id", flat=True)),
        "cancelled_at": quota.cancelled_at, "cancellation_type": quota.cancellation_type}


@extend_schema(tags=["admin: quotas"])
class QuotaListView(GenericAPIView, QuotaManagerView):
    @extend_schema(parameters=[OpenApiParameter("match_id", int), OpenApiParameter("status"),
                               OpenApiParameter("quota_type"), OpenApiParameter("batch_id", int),
                               OpenApiParameter("email")])
    def get(self, request):
        filters = validated(QuotaFilterIn, request.query_params)
        quotas = Quota.objects.filter(parent__isnull=True).select_related(
            "match", "created_by").order_by("-created_at", "-id")
        if "match_id" in filters:
            quotas = quotas.filter(match_id=filters["match_id"])
        if "status" in filters:
            quotas = quotas.filter(status=filters["status"])
        if "quota_type" in filters:
            quotas = quotas.filter(quota_type=filters["quota_type"])
        if "batch_id" in filters:
            quotas = quotas.filter(batch_id=filters["batch_id"])
        if filters.get("email"):
            quotas = quotas.filter(Q(recipient_email__icontains=filters["email"])
                                   | Q(subquotas__recipient_email__icontains=filters["email"])
                                   ).distinct()
        page = self.paginate_queryset(quotas)
        return self.get_paginated_response(
            [selectors.quota_summary(q, with_seats=False) for q in page])

    @extend_schema(request=QuotaIn)
    def post(self, request):
        data = validated(QuotaIn, request.data)
        generic_change_check(data["quota_type"])
        created = quota_create(actor=request.user, request=QuotaRequest(**data),
                               http_request=request)
        body = admin_view(created.quota) | {"seated_together": created.together,
                                            "warnings": created.warnings,
                                            "duplicate_quota_ids": created.duplicates}
        if created.duplicates:
            body["warnings"].append(
                f"{created.quota.recipient_email} already has quota(s) "
                f"{', '.join(map(str, created.duplicates))} for this match: check this is not "
                "a mistake.")
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["admin: quotas"])
class QuotaDetailView(QuotaManagerView):
    def get(self, request, quota_id: int):
        quota = Quota.objects.select_related("match", "parent").filter(pk=quota_id).first()
        if quota is None:
            raise NotFound("No such quota.", code="quota_not_found")
        return Response(admin_view(quota))

    @extend_schema(parameters=[OpenApiParameter("option", required=True,
                                                enum=["all_unused", "unfulfilled_only"])])
    def delete(self, request, quota_id: int):
        quota = Quota.objects.filter(pk=quota_id).first()
        generic_change_check(quota.quota_type if quota else "")
        result = cancellation.quota_cancel(actor=request.user, quota_id=quota_id,
                                           option=request.query_params.get("option", ""),
                                           request=request)
        return Response({"quota_id": result.quota.pk, "status": result.quota.status,
                         "option": result.option, "cancelled_seats": result.cancelled,
                         "kept": result.kept})
