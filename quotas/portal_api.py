"""The quota holder's API (E7-F4 … F6) under /api/quota-portal/, used by the mobile app and by
the portal's pages (session auth). Views parse, call a service, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import EMAIL_MAX_LENGTH, ITEMS_MAX
from core.drf import validated
from quotas import selectors
from quotas.models import QuotaClaim
from quotas.services import claims, subquotas
from quotas.services.common import quota_for_holder
from ticketing.serializers import HolderIn


class ClaimOut(serializers.ModelSerializer):
    claim_id = serializers.IntegerField(source="pk")
    quota_id = serializers.IntegerField()
    seat_ids = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    order_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = QuotaClaim
        fields = ["claim_id", "quota_id", "status", "step", "quantity", "seat_ids",
                  "ticket_amount", "ticket_vat_amount", "fee_amount", "fee_vat_amount",
                  "total_amount", "payment_status", "order_id", "expires_at", "next_step"]

    def get_seat_ids(self, claim) -> list[int]:
        return sorted(claim.seats.values_list("id", flat=True))

    def get_next_step(self, claim) -> str | None:
        return {"SEATS_SELECTED": "ticket-holders", "HOLDERS_SAVED": "payment",
                "PAYMENT_STARTED": "payment"}.get(claim.step) if claim.status == "ACTIVE" \
            else None


class SelectIn(serializers.Serializer):
    seat_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                     max_length=ITEMS_MAX)
    quantity = serializers.IntegerField(required=False, min_value=1)
    claim_id = serializers.IntegerField(required=False)


class ClaimHolderIn(HolderIn):
    """One ticket holder: `{"use_my_profile": true}`, a saved profile, or typed-in details."""

    use_my_profile = serializers.BooleanField(required=False, default=False)


class HoldersIn(serializers.Serializer):
    claim_id = serializers.IntegerField(required=False)
    holders = ClaimHolderIn(many=True, allow_empty=False, max_length=ITEMS_MAX)


class PaymentIn(serializers.Serializer):
    claim_id = serializers.IntegerField(required=False)


class SubquotaIn(serializers.Serializer):
    recipient_email = serializers.CharField(max_length=EMAIL_MAX_LENGTH)
    recipient_name = serializers.CharField(max_length=200, required=False, default="",
                                           allow_blank=True)
    seat_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                     max_length=ITEMS_MAX)
    quantity = serializers.IntegerField(required=False, min_value=1)


@extend_schema(tags=["quota portal"])
class DashboardView(APIView):
    def get(self, request):
        return Response({"quotas": selectors.dashboard(request.user)})


@extend_schema(tags=["quota portal"])
class QuotaDetailView(APIView):
    def get(self, request, quota_id: int):
        quota = quota_for_holder(user=request.user, quota_id=quota_id)
        return Response(selectors.quota_summary(quota, user=request.user))


@extend_schema(tags=["quota portal"], request=SelectIn, responses=ClaimOut)
class SelectSeatsView(APIView):
    def post(self, request, quota_id: int):
        claim = claims.claim_select(user=request.user, quota_id=quota_id,
                                    **validated(SelectIn, request.data))
        return Response(ClaimOut(claim).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["quota portal"], request=HoldersIn, responses=ClaimOut)
class TicketHoldersView(APIView):
    def post(self, request, quota_id: int):
        claim = claims.claim_holders(user=request.user, quota_id=quota_id, request=request,
                                     **validated(HoldersIn, request.data))
        return Response(ClaimOut(claim).data)


@extend_schema(tags=["quota portal"], request=PaymentIn)
class PaymentView(APIView):
    def post(self, request, quota_id: int):
        step = claims.claim_payment(user=request.user, quota_id=quota_id, request=request,
                                    **validated(PaymentIn, request.data))
        payment = step.payment
        return Response(ClaimOut(step.claim).data | {"payment": payment and {
            "id": payment.pk, "status": payment.status, "amount": str(payment.amount),
            "currency": payment.currency, "provider": payment.provider,
            "client_secret": payment.client_secret}})


@extend_schema(tags=["quota portal"], responses=ClaimOut)
class ClaimDetailView(APIView):
    """A claim of the signed-in holder: where it stands (e.g. after Stripe's redirect)."""

    def get(self, request, claim_id: int):
        return Response(ClaimOut(claims.claim_for_user(user=request.user,
                                                       claim_id=claim_id)).data)


@extend_schema(tags=["quota portal"], request=None, responses=ClaimOut)
class ClaimPayLocalView(APIView):
    def post(self, request, claim_id: int):
        return Response(ClaimOut(claims.claim_pay_local(user=request.user,
                                                        claim_id=claim_id)).data)


@extend_schema(tags=["quota portal"], request=SubquotaIn)
class SubquotasView(APIView):
    def get(self, request, quota_id: int):
        subs = subquotas.subquotas_of(user=request.user, quota_id=quota_id)
        return Response({"subquotas": [selectors.subquota_row(s) for s in subs]})

    def post(self, request, quota_id: int):
        sub = subquotas.subquota_create(user=request.user, quota_id=quota_id, request=request,
                                        **validated(SubquotaIn, request.data))
        return Response(selectors.subquota_row(sub), status=status.HTTP_201_CREATED)


@extend_schema(tags=["quota portal"], request=None)
class SubquotaRetractView(APIView):
    def delete(self, request, subquota_id: int):
        sub = subquotas.subquota_retract(user=request.user, subquota_id=subquota_id,
                                         request=request)
        return Response(selectors.subquota_row(sub))
