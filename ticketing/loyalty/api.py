"""Loyalty API (E6-F1, E6-F2).

GET /api/users/me/loyalty                       the fan's balance, window and next expiry
GET /api/users/me/loyalty/history               the fan's points match by match
GET /api/admin/users/<id>/loyalty               Support Agent, Supervisor: any account's
GET /api/admin/matches/<id>/loyalty-distribution  Match Manager, Supervisor: fans by points"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.roles import HasRole, Role
from ticketing.loyalty import selectors
from ticketing.loyalty.distribution import loyalty_distribution
from ticketing.models import User


class LoyaltyOut(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Points earned within the window")
    has_oib = serializers.BooleanField(help_text="Points follow the OIB on your profile; "
                                                 "without one you collect none")
    window_years = serializers.IntegerField()
    window_start = serializers.DateTimeField(help_text="Points earned before this expired")
    next_expiry_at = serializers.DateTimeField(allow_null=True)
    next_expiry_points = serializers.IntegerField(help_text="Points that expire then")


class HistoryOut(serializers.Serializer):
    match_id = serializers.IntegerField()
    match = serializers.CharField()
    competition = serializers.CharField()
    kick_off_time = serializers.DateTimeField()
    match_type = serializers.CharField(help_text="HOME or AWAY; both earn")
    points = serializers.IntegerField()
    earned_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    counts = serializers.BooleanField(help_text="Still within the window")


class AdminLoyaltyOut(LoyaltyOut):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    history = HistoryOut(many=True)


class BalanceFansOut(serializers.Serializer):
    points = serializers.IntegerField()
    fans = serializers.IntegerField()


class TierOut(serializers.Serializer):
    min_points = serializers.IntegerField()
    ticket_limit = serializers.IntegerField()
    fans = serializers.IntegerField()
    tickets_at_most = serializers.IntegerField(help_text="fans times their cap in the phase")


class PhaseTiersOut(serializers.Serializer):
    phase_id = serializers.IntegerField()
    name = serializers.CharField()
    phase_type = serializers.CharField()
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    fans_below = serializers.IntegerField(help_text="Below the lowest tier: cannot buy")
    tiers = TierOut(many=True)


class DistributionOut(serializers.Serializer):
    match_id = serializers.IntegerField()
    match = serializers.CharField()
    as_of = serializers.DateTimeField()
    window_start = serializers.DateTimeField()
    fans_total = serializers.IntegerField(help_text="Accounts with an OIB on their profile")
    fans_with_points = serializers.IntegerField()
    balances = BalanceFansOut(many=True)
    phases = PhaseTiersOut(many=True)


def _summary(user) -> dict:
    return LoyaltyOut(selectors.loyalty_summary(user=user)).data


@extend_schema(tags=["loyalty"])
class MyLoyaltyView(APIView):
    @extend_schema(responses=LoyaltyOut, summary="Your loyalty points balance")
    def get(self, request):
        return Response(_summary(request.user))


@extend_schema(tags=["loyalty"])
class MyLoyaltyHistoryView(APIView):
    @extend_schema(responses=HistoryOut(many=True),
                   summary="Your loyalty points match by match, newest first")
    def get(self, request):
        return Response(HistoryOut(selectors.loyalty_history(user=request.user), many=True).data)


@extend_schema(tags=["loyalty"])
class UserLoyaltyView(APIView):
    permission_classes = [HasRole(Role.SUPPORT_AGENT, Role.SUPERVISOR)]

    @extend_schema(responses=AdminLoyaltyOut, summary="Any account's loyalty points")
    def get(self, request, user_id: int):
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise NotFound(f"User {user_id} does not exist.", code="user_not_found",
                           field="user_id")
        history = HistoryOut(selectors.loyalty_history(user=user), many=True).data
        return Response({**_summary(user), "user_id": user.pk, "email": user.email,
                         "history": history})


@extend_schema(tags=["loyalty"])
class MatchLoyaltyDistributionView(APIView):
    permission_classes = [HasRole(Role.MATCH_MANAGER, Role.SUPERVISOR)]

    @extend_schema(responses=DistributionOut,
                   summary="How many fans hold how many points, and per loyalty tier")
    def get(self, request, match_id: int):
        return Response(DistributionOut(loyalty_distribution(match_id=match_id)).data)
