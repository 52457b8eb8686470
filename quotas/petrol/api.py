"""Petrol-station sales API (E12).

Match Manager:
GET  /api/admin/petrol/quotas?match_id=&status=&deferred_status=&created_from=&created_to=
POST /api/admin/petrol/quotas                     the match's Petrol quota (one live per match)
GET  /api/admin/petrol/quotas/<id>                with its deeplink
GET  /api/admin/petrol/quotas/<id>/qr.svg | qr.png   the station QR code
POST /api/admin/petrol/quotas/<id>/cancel         {"option": "all_unused" | "unfulfilled_only"}
Fan app:
POST /api/petrol-sales/<match_id>/generate-pin    {"holders": [...]} -> a 5-digit PIN
GET  /api/petrol-sales/pins                       the fan's PINs
Petrol Staff (the /petrol/ pages use the same services):
GET  /api/petrol-portal/pins/<pin>                the fan and holders; reserves the seats 20 min
POST /api/petrol-portal/reservations/<id>/verify-identity
POST /api/petrol-portal/pins/<pin>/confirm        {"payment_method", "payment_reference"}
POST /api/petrol-portal/reservations/<id>/cancel"""

from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import EMAIL_MAX_LENGTH, ITEMS_MAX, NOTE_MAX_LENGTH
from core.drf import validated
from core.errors import Forbidden
from core.pii import mask
from core.roles import HasRole, Role
from payments.models import DebtStatus
from quotas.models import Quota, QuotaClaim, QuotaStatus, QuotaType
from quotas.petrol.models import PaymentMethod
from quotas.petrol.services import pins, quotas, sales
from quotas.portal_api import ClaimHolderIn
from quotas.selectors import quota_summary

MATCH_MANAGER = HasRole(Role.MATCH_MANAGER)
STAFF = HasRole(Role.PETROL_STAFF)


class PetrolQuotaIn(serializers.Serializer):
    match_id = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1)
    recipient_email = serializers.CharField(max_length=EMAIL_MAX_LENGTH,
                                            help_text="The petrol partner, who owes the takings")
    recipient_name = serializers.CharField(max_length=200, required=False, default="",
                                           allow_blank=True)
    sector_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                       default=list, max_length=ITEMS_MAX)
    internal_note = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False,
                                          default="", allow_blank=True)


class PetrolFilterIn(serializers.Serializer):
    match_id = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(QuotaStatus.choices, required=False)
    deferred_status = serializers.ChoiceField(
        ["OPEN", "SETTLED"], required=False,
        help_text="OPEN: some takings still owed; SETTLED: nothing owed")
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)


class PetrolCancelIn(serializers.Serializer):
    option = serializers.ChoiceField(["all_unused", "unfulfilled_only"])


class PinIn(serializers.Serializer):
    holders = ClaimHolderIn(many=True, allow_empty=False, max_length=ITEMS_MAX)


class PinOut(serializers.Serializer):
    id = serializers.IntegerField()
    pin = serializers.CharField()
    match_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ConfirmIn(serializers.Serializer):
    payment_method = serializers.ChoiceField(PaymentMethod.choices)
    payment_reference = serializers.CharField(max_length=100,
                                              help_text="The till receipt or card slip number")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, default="",
                                   allow_blank=True)


def _petrol_view(quota: Quota) -> dict:
    return quota_summary(quota, with_seats=False) | {
        "deeplink": quotas.deeplink(quota),
        "qr_svg": f"/api/admin/petrol/quotas/{quota.pk}/qr.svg",
        "qr_png": f"/api/admin/petrol/quotas/{quota.pk}/qr.png",
        "recipient_email": quota.recipient_email, "created_at": quota.created_at,
        "cancelled_at": quota.cancelled_at}


def counter_view(found: sales.Counter) -> dict:
    reservation = found.reservation
    fan = reservation.pin.user
    profile = getattr(fan, "profile", None)
    seats = [{"sector": s.match_sector.name,
              "row": s.inventory.row_label if s.inventory_id else "",
              "seat": s.inventory.seat_number if s.inventory_id else None}
             for s in reservation.claim.seats.select_related("match_sector", "inventory")]
    return {
        "reservation_id": reservation.pk, "status": reservation.status,
        "expires_at": reservation.expires_at, "pin": reservation.pin.pin,
        "match": str(reservation.pin.match),
        "customer": {"email": fan.email, "name": profile.full_name if profile else "",
                     "phone": profile.phone if profile else ""},
        "holders": [{"name": f"{h['first_name']} {h['last_name']}",
                     "date_of_birth": h["date_of_birth"], "nationality": h["nationality"],
                     "oib": mask(h.get("oib")), "passport_number": mask(h.get("passport_number"))}
                    for h in found.holders],
        "seats": seats, "total_amount": str(reservation.claim.total_amount)}


@extend_schema(tags=["petrol"])
class PetrolQuotaListView(GenericAPIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(parameters=[PetrolFilterIn])
    def get(self, request):
        filters = validated(PetrolFilterIn, request.query_params)
        rows = Quota.objects.filter(quota_type=QuotaType.PETROL, parent__isnull=True
                                    ).select_related("match", "created_by")
        if "match_id" in filters:
            rows = rows.filter(match_id=filters["match_id"])
        if "status" in filters:
            rows = rows.filter(status=filters["status"])
        if "created_from" in filters:
            rows = rows.filter(created_at__date__gte=filters["created_from"])
        if "created_to" in filters:
            rows = rows.filter(created_at__date__lte=filters["created_to"])
        if "deferred_status" in filters:
            owed = Exists(QuotaClaim.objects.filter(quota=OuterRef("pk"),
                                                    order__debt__status=DebtStatus.OPEN))
            rows = rows.filter(owed) if filters["deferred_status"] == "OPEN" else \
                rows.exclude(owed)
        page = self.paginate_queryset(rows.order_by("-created_at", "-id"))
        return self.get_paginated_response([_petrol_view(q) for q in page])

    @extend_schema(request=PetrolQuotaIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        quota = quotas.petrol_quota_create(actor=request.user, request=request,
                                           **validated(PetrolQuotaIn, request.data))
        return Response(_petrol_view(quota), status=201)


@extend_schema(tags=["petrol"])
class PetrolQuotaDetailView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, quota_id: int):
        return Response(_petrol_view(quotas.petrol_quota(quota_id)))


@extend_schema(tags=["petrol"])
class PetrolQuotaQrView(APIView):
    permission_classes = [MATCH_MANAGER]
    kinds = {"svg": ("image/svg+xml", quotas.station_qr_svg),
             "png": ("image/png", quotas.station_qr_png)}

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
                              (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY)},
                   summary="The station QR code: it opens hns://petrol-sales/<quota id>")
    def get(self, request, quota_id: int, kind: str):
        content_type, draw = self.kinds[kind]
        quota = quotas.petrol_quota(quota_id)
        response = HttpResponse(draw(quota), content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="petrol-quota-{quota.pk}.{kind}"'
        return response


@extend_schema(tags=["petrol"])
class PetrolQuotaCancelView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(request=PetrolCancelIn, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, quota_id: int):
        option = validated(PetrolCancelIn, request.data)["option"]
        done = quotas.petrol_quota_cancel(actor=request.user, quota_id=quota_id,
                                          option=option, request=request)
        return Response({"quota_id": done.quota.pk, "status": done.quota.status,
                         "option": done.option, "cancelled_seats": done.cancelled,
                         "kept": done.kept})


@extend_schema(tags=["petrol"])
class GeneratePinView(APIView):
    @extend_schema(request=PinIn, responses={201: PinOut},
                   summary="A PIN for the station's counter (after scanning its QR code)")
    def post(self, request, match_id: int):
        holders = [dict(h) for h in validated(PinIn, request.data)["holders"]]
        pin = pins.pin_generate(user=request.user, match_id=match_id, holders=holders,
                                request=request)
        return Response(PinOut(pin).data, status=201)


@extend_schema(tags=["petrol"])
class MyPinsView(GenericAPIView):
    @extend_schema(responses={200: PinOut(many=True)})
    def get(self, request):
        page = self.paginate_queryset(pins.pins_of(user=request.user))
        return self.get_paginated_response(PinOut(page, many=True).data)


@extend_schema(tags=["petrol portal"])
class PinLookupView(APIView):
    permission_classes = [STAFF]

    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   summary="Look up a fan's PIN: their data, and the seats reserved 20 minutes")
    def get(self, request, pin: str):
        if request.headers.get("Sec-Fetch-Site") == "cross-site":  # it reserves seats
            raise Forbidden("Look PINs up from the counter, not from a link on another site.",
                            code="cross_site")
        return Response(counter_view(sales.pin_lookup(staff=request.user, pin=pin,
                                                      request=request)))


@extend_schema(tags=["petrol portal"])
class VerifyIdentityView(APIView):
    permission_classes = [STAFF]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, reservation_id: int):
        return Response(counter_view(sales.reservation_verify(
            staff=request.user, reservation_id=reservation_id, request=request)))


@extend_schema(tags=["petrol portal"])
class ConfirmView(APIView):
    permission_classes = [STAFF]

    @extend_schema(request=ConfirmIn, responses={201: OpenApiTypes.OBJECT},
                   summary="Paid at the counter: the order, the tickets in the fan's app")
    def post(self, request, pin: str):
        sale = sales.pin_confirm(staff=request.user, pin=pin, request=request,
                                 **validated(ConfirmIn, request.data))
        return Response({"sale_id": sale.pk, "order_id": sale.order_id,
                         "order_number": sale.order.number,
                         "total_amount": str(sale.total_amount),
                         "payment_method": sale.payment_method}, status=201)


@extend_schema(tags=["petrol portal"])
class ReservationCancelView(APIView):
    permission_classes = [STAFF]

    @extend_schema(request=ReasonIn, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, reservation_id: int):
        reason = validated(ReasonIn, request.data)["reason"]
        reservation = sales.reservation_cancel(staff=request.user, reservation_id=reservation_id,
                                               reason=reason, request=request)
        return Response({"reservation_id": reservation.pk, "status": reservation.status})
