"""Blacklist API (E11).

GET  /api/admin/blacklist                       Supervisor: entries (search by OIB or name)
POST /api/admin/blacklist                       list a person; answers with the tickets they hold
GET  /api/admin/blacklist/<id>                  one entry with its audit log
PATCH /api/admin/blacklist/<id>                 change names, reason, notes, validity
POST /api/admin/blacklist/<id>/remove           take off the list, with a reason
POST /api/admin/blacklist/<id>/restore          put back
GET  /api/admin/blacklist/<id>/tickets          the tickets the person holds now (E11-F4)
POST /api/admin/blacklist/<id>/cancel-tickets   confirm: cancel them, no refund
POST /api/admin/blacklist/import                CSV or XLSX (multipart "file")
GET  /api/admin/blacklist/imports/<id>/tickets  the tickets of a batch's people
POST /api/admin/blacklist/imports/<id>/cancel-tickets
GET  /api/admin/blacklist/violations            filters; ?export=csv for the export
GET  /api/internal/blacklist/check?oib=         internal callers, with the service token"""

import hmac

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.models import (
    BlacklistEntry,
    BlacklistImportBatch,
    BlacklistSource,
    BlacklistStatus,
    ViolationAction,
)
from accessctl.selectors import entries_search, violation_csv, violations_filter
from accessctl.services import check, entries
from accessctl.services.imports import blacklist_import
from core.drf import validated
from core.errors import ValidationFailed
from core.roles import HasRole, Role
from ticketing.aftersale.services.bans import (
    banned_tickets_preview,
    blacklist_tickets_cancel,
    blacklist_tickets_found,
)

ADMINS = HasRole(Role.SUPERVISOR)


class EntryIn(serializers.Serializer):
    oib = serializers.CharField(max_length=11)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)
    source = serializers.ChoiceField(choices=BlacklistSource.choices)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)


class EntryChangeIn(EntryIn):
    oib = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class RemoveIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class EntryOut(serializers.ModelSerializer):
    oib = serializers.CharField(source="oib_masked")

    class Meta:
        model = BlacklistEntry
        fields = ("id", "oib", "first_name", "last_name", "date_of_birth", "status", "source",
                  "reason", "notes", "valid_from", "valid_until", "created_by", "created_at",
                  "removed_by", "removed_at", "removal_reason", "import_batch")


class TicketsOut(serializers.Serializer):
    order_id = serializers.IntegerField()
    order_number = serializers.CharField()
    buyer_email = serializers.EmailField()
    match = serializers.CharField()
    scope = serializers.ChoiceField(choices=["order", "tickets"],
                                    help_text="order: the person bought it; tickets: holds them")
    ticket_ids = serializers.ListField(child=serializers.IntegerField())
    valid_tickets = serializers.IntegerField()


class ImportIn(serializers.Serializer):
    file = serializers.FileField()
    source = serializers.ChoiceField(choices=BlacklistSource.choices, required=False,
                                     default=BlacklistSource.MUP_COURT_BAN)


class BatchOut(serializers.ModelSerializer):
    errors = serializers.JSONField(source="error_report_json")

    class Meta:
        model = BlacklistImportBatch
        fields = ("id", "file_name", "total_rows", "successful_rows", "duplicate_rows",
                  "failed_rows", "errors", "imported_at")


class ViolationFilterIn(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    oib = serializers.CharField(max_length=11, required=False)
    match_id = serializers.IntegerField(min_value=1, required=False)
    export = serializers.ChoiceField(choices=["csv"], required=False,
                                     help_text="csv: download every matching row")


class ViolationOut(serializers.Serializer):
    id = serializers.IntegerField()
    blocked_at = serializers.DateTimeField()
    action_type = serializers.CharField()
    oib = serializers.CharField(source="oib_masked")
    entry_id = serializers.IntegerField(allow_null=True)
    match_id = serializers.IntegerField(allow_null=True)
    user_id = serializers.IntegerField(allow_null=True)
    session_id = serializers.CharField()
    ip_address = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()
    reference = serializers.CharField()


def _entry(entry_id: int) -> BlacklistEntry:
    return get_object_or_404(BlacklistEntry, pk=entry_id)


def _tickets(entry_list: list[BlacklistEntry]) -> list[dict]:
    return TicketsOut(banned_tickets_preview(blacklist_tickets_found(entries=entry_list)),
                      many=True).data


@extend_schema(tags=["blacklist"])
class EntryListView(GenericAPIView):
    permission_classes = [ADMINS]

    @extend_schema(parameters=[OpenApiParameter("q", str, description="an OIB or a last name"),
                               OpenApiParameter("status", str)],
                   responses={200: EntryOut(many=True)})
    def get(self, request):
        rows = entries_search(q=request.query_params.get("q", ""),
                              status=request.query_params.get("status", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EntryOut(page, many=True).data)

    @extend_schema(request=EntryIn, responses={201: EntryOut},
                   summary="List a person; the answer names the tickets they already hold")
    def post(self, request):
        data = validated(EntryIn, request.data)
        entry = entries.blacklist_entry_create(actor=request.user, request=request, **data)
        return Response(EntryOut(entry).data | {"tickets": _tickets([entry])}, status=201)


@extend_schema(tags=["blacklist"])
class EntryView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(responses={200: EntryOut})
    def get(self, request, entry_id: int):
        entry = _entry(entry_id)
        log = [{"action": a.action, "changed_by": a.changed_by_id, "changes": a.changes_json,
                "created_at": a.created_at} for a in entry.audit_logs.order_by("id")]
        return Response(EntryOut(entry).data | {"audit_log": log})

    @extend_schema(request=EntryChangeIn, responses={200: EntryOut})
    def patch(self, request, entry_id: int):
        data = validated(EntryChangeIn, request.data)
        entry = entries.blacklist_entry_update(entry=_entry(entry_id), changes=data,
                                               actor=request.user, request=request)
        return Response(EntryOut(entry).data)


@extend_schema(tags=["blacklist"])
class EntryRemoveView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(request=RemoveIn, responses={200: EntryOut})
    def post(self, request, entry_id: int):
        data = validated(RemoveIn, request.data)
        entry = entries.blacklist_entry_remove(entry=_entry(entry_id), actor=request.user,
                                               reason=data["reason"], request=request)
        return Response(EntryOut(entry).data)


@extend_schema(tags=["blacklist"])
class EntryRestoreView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: EntryOut})
    def post(self, request, entry_id: int):
        entry = entries.blacklist_entry_restore(entry=_entry(entry_id), actor=request.user,
                                                request=request)
        return Response(EntryOut(entry).data)


class CancelledOut(serializers.Serializer):
    cancelled_tickets = serializers.IntegerField()


@extend_schema(tags=["blacklist"])
class EntryTicketsView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(responses={200: TicketsOut(many=True)},
                   summary="The valid tickets the person holds (buyer: whole orders)")
    def get(self, request, entry_id: int):
        return Response(_tickets([_entry(entry_id)]))


@extend_schema(tags=["blacklist"])
class EntryTicketsCancelView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: CancelledOut},
                   summary="Confirm: cancel the person's tickets without a refund")
    def post(self, request, entry_id: int):
        ended = blacklist_tickets_cancel(entries=[_entry(entry_id)], actor=request.user)
        return Response({"cancelled_tickets": ended})


@extend_schema(tags=["blacklist"])
class ImportView(APIView):
    permission_classes = [ADMINS]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": ImportIn}, responses={201: BatchOut},
                   summary="Import CSV or XLSX: oib, first_name, last_name, [date_of_birth, "
                           "reason, source, notes, valid_from, valid_until]")
    def post(self, request):
        data = validated(ImportIn, request.data)
        upload = data["file"]
        if upload.size > settings.BLACKLIST_IMPORT_MAX_BYTES:
            raise ValidationFailed("The file is larger than "
                                   f"{settings.BLACKLIST_IMPORT_MAX_BYTES // (1024 * 1024)} MB.",
                                   field="file", code="file_too_large")
        result = blacklist_import(actor=request.user, file_name=upload.name,
                                  content=upload.read(), source=data["source"], request=request)
        return Response(BatchOut(result.batch).data | {"tickets": _tickets(result.entries)},
                        status=201)


def _batch_entries(batch_id: int) -> list[BlacklistEntry]:
    """The batch's entries still on the list (one removed since cancels nothing)."""
    batch = get_object_or_404(BlacklistImportBatch, pk=batch_id)
    return list(batch.entries.filter(status=BlacklistStatus.ACTIVE))


@extend_schema(tags=["blacklist"])
class ImportTicketsView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(responses={200: TicketsOut(many=True)})
    def get(self, request, batch_id: int):
        return Response(_tickets(_batch_entries(batch_id)))


@extend_schema(tags=["blacklist"])
class ImportTicketsCancelView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: CancelledOut})
    def post(self, request, batch_id: int):
        ended = blacklist_tickets_cancel(entries=_batch_entries(batch_id), actor=request.user)
        return Response({"cancelled_tickets": ended})


@extend_schema(tags=["blacklist"])
class ViolationListView(GenericAPIView):
    permission_classes = [ADMINS]

    @extend_schema(parameters=[ViolationFilterIn], responses={200: ViolationOut(many=True)},
                   summary="Blocked attempts; ?export=csv downloads them all")
    def get(self, request):
        filters = validated(ViolationFilterIn, request.query_params)
        export = filters.pop("export", None)
        rows = violations_filter(**filters)
        if export == "csv":
            return violation_csv(rows)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ViolationOut(page, many=True).data)


class ServiceToken(BasePermission):
    """An internal caller: `Authorization: Bearer <INTERNAL_SERVICE_TOKEN>`; nobody when the
    setting is empty."""

    message = "This endpoint is for internal services only."

    def has_permission(self, request, view):
        expected = settings.INTERNAL_SERVICE_TOKEN
        given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class CheckIn(serializers.Serializer):
    oib = serializers.CharField(max_length=11)
    action = serializers.ChoiceField(choices=ViolationAction.choices, required=False,
                                     default=ViolationAction.CHECK)
    match_id = serializers.IntegerField(min_value=1, required=False)


class CheckOut(serializers.Serializer):
    is_blacklisted = serializers.BooleanField()
    message = serializers.CharField()


@extend_schema(tags=["internal"])
class InternalCheckView(APIView):
    authentication_classes = []
    permission_classes = [ServiceToken]

    @extend_schema(parameters=[CheckIn], responses={200: CheckOut},
                   summary="Is this OIB blacklisted? (service token; a hit is logged)")
    def get(self, request):
        data = validated(CheckIn, request.query_params)
        return Response(check.blacklist_lookup(request=request, **data))
