"""Access-control API (E2-F8, E2-F9, E13). Match Manager.

GET  /api/admin/matches/<id>/access-control-export   the XLSX of barcodes for the gate vendor
POST /api/admin/matches/<id>/close                   multipart: `file` (the vendor's
                                                     attendance file) or `reason`
GET  /api/admin/matches/<id>/attendance              the closure's report, unmatched codes paged

Gate devices (`Authorization: Device <token>`):
POST /api/gate/scan                                  {"match_id", "code", "scan_id"}
GET  /api/gate/matches/<id>/key                      the match key for offline checks"""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.gates.authentication import GateDeviceAuthentication, IsGateDevice
from accessctl.gates.models import AttendanceImport, AttendanceUnmatched, GateScan
from accessctl.gates.services.closure import match_close
from accessctl.gates.services.exports import access_export
from accessctl.gates.services.scans import gate_key, gate_scan
from core.drf import validated
from core.errors import ValidationFailed
from core.roles import HasRole, Role

MATCH_MANAGER = HasRole(Role.MATCH_MANAGER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CloseIn(serializers.Serializer):
    file = serializers.FileField(required=False)
    reason = serializers.CharField(max_length=500, required=False, default="",
                                   allow_blank=True,
                                   help_text="Required without a file: every valid ticket "
                                   "then counts as attended")


class AttendanceOut(serializers.ModelSerializer):
    class Meta:
        model = AttendanceImport
        fields = ["id", "match", "file_name", "reason", "total_scanned", "matched_count",
                  "unmatched_count", "imported_by", "imported_at"]


class UnmatchedOut(serializers.ModelSerializer):
    class Meta:
        model = AttendanceUnmatched
        fields = ["barcode", "scan_timestamp", "reason"]


@extend_schema(tags=["access control"])
class AccessExportView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY)},
                   summary="Barcodes of the valid tickets plus spare codes, for the gates")
    def get(self, request, match_id: int):
        export = access_export(actor=request.user, match_id=match_id)
        response = HttpResponse(export.content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
        return response


@extend_schema(tags=["access control"])
class MatchCloseView(APIView):
    permission_classes = [MATCH_MANAGER]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": CloseIn}, responses={201: AttendanceOut},
                   summary="Close the match with its attendance (the loyalty award follows)")
    def post(self, request, match_id: int):
        data = validated(CloseIn, request.data)
        upload = data.get("file")
        if upload and upload.size > settings.ATTENDANCE_IMPORT_MAX_BYTES:
            raise ValidationFailed(
                f"The file is larger than {settings.ATTENDANCE_IMPORT_MAX_BYTES // 2**20} MB.",
                field="file", code="file_too_large")
        record = match_close(actor=request.user, match_id=match_id, reason=data["reason"],
                             file_name=upload.name if upload else "",
                             content=upload.read() if upload else None, request=request)
        return Response(AttendanceOut(record).data, status=201)


@extend_schema(tags=["access control"])
class AttendanceView(GenericAPIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(responses={200: AttendanceOut})
    def get(self, request, match_id: int):
        record = get_object_or_404(AttendanceImport, match_id=match_id)
        page = self.paginate_queryset(record.unmatched.order_by("id"))
        unmatched = self.get_paginated_response(UnmatchedOut(page, many=True).data).data
        return Response(AttendanceOut(record).data | {"unmatched": unmatched})


class ScanIn(serializers.Serializer):
    match_id = serializers.IntegerField()
    code = serializers.CharField(max_length=200, help_text="What the scanner read")
    scan_id = serializers.CharField(max_length=64,
                                    help_text="The device's id for this scan (retries reuse it)")


class ScanOut(serializers.ModelSerializer):
    gate = serializers.CharField(source="device.gate")
    holder_name = serializers.CharField(source="ticket.holder_name", default=None)

    class Meta:
        model = GateScan
        fields = ["id", "result", "reason", "message", "ticket", "holder_name", "gate",
                  "scanned_at"]


class GateView(APIView):
    authentication_classes = [GateDeviceAuthentication]
    permission_classes = [IsGateDevice]
    throttle_classes = []


@extend_schema(tags=["gates"])
class ScanView(GateView):
    @extend_schema(request=ScanIn, responses={200: ScanOut},
                   summary="A scan at the gate: ACCEPTED, or REFUSED with the reason")
    def post(self, request):
        data = validated(ScanIn, request.data)
        scan = gate_scan(device=request.auth, **data)
        return Response(ScanOut(scan).data)


@extend_schema(tags=["gates"])
class GateKeyView(GateView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   summary="The match key, to check the app's rotating codes offline")
    def get(self, request, match_id: int):
        return Response(gate_key(match_id=match_id))
