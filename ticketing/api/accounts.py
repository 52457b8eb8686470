"""Fan-facing account API: SSO login, token refresh/logout, profiles, saved profiles,
push-token registration. Views parse, call a service, render."""

from collections.abc import Callable

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import validated
from core.net import ClientIPScopedRateThrottle
from core.notifications import push_token_register
from ticketing import serializers as s
from ticketing.services import accounts, profiles


def _tokens_response(issued: accounts.IssuedTokens) -> Response:
    user = issued.session.user
    body = {
        "token_type": "Bearer",
        "access_token": issued.access_token,
        "expires_in": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        "refresh_token": issued.refresh_token,
        "refresh_expires_at": issued.session.expires_at,
        "user": {"id": user.pk, "email": user.email, "status": user.status,
                 "drupal_user_id": user.drupal_user_id},
    }
    return Response(s.TokensOut(body).data)


# Login and refresh: anonymous (the request carries the credential in its body), rate-limited per
# client IP under the "auth" scope, answering with a new pair of tokens. (A comment, not a
# docstring: drf-spectacular would publish a docstring as both operations' description.)
class _TokenIssuingView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIPScopedRateThrottle]
    throttle_scope = "auth"
    input_serializer: type[serializers.Serializer]
    issue: Callable[..., accounts.IssuedTokens]  # the service, given the input and the request

    def post(self, request):
        data = validated(self.input_serializer, request.data)
        return _tokens_response(self.issue(**data, request=request))


@extend_schema(request=s.LoginIn, responses=s.TokensOut, tags=["auth"],
               summary="Exchange a webshop (Drupal SSO) token for API tokens")
class LoginView(_TokenIssuingView):
    input_serializer = s.LoginIn
    issue = staticmethod(accounts.session_login)


@extend_schema(request=s.RefreshIn, responses=s.TokensOut, tags=["auth"],
               summary="Rotate the refresh token (a reused one ends the session)")
class RefreshView(_TokenIssuingView):
    input_serializer = s.RefreshIn
    issue = staticmethod(accounts.session_refresh)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"], summary="End this session")
    def post(self, request):
        if request.auth is not None:  # token-authenticated: end that session
            accounts.session_logout(session=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(APIView):
    @extend_schema(responses=s.ProfileOut, tags=["profile"])
    def get(self, request):
        return Response(s.ProfileOut(profiles.profile_get(user=request.user)).data)

    @extend_schema(request=s.ProfileIn, responses={201: s.ProfileOut}, tags=["profile"])
    def post(self, request):
        data = validated(s.ProfileIn, request.data)
        profile = profiles.profile_create(user=request.user, data=data,
                                          request=request)
        return Response(s.ProfileOut(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProfileIn, responses=s.ProfileOut, tags=["profile"])
    def put(self, request):
        data = validated(s.ProfileIn, request.data, partial=True)
        profile = profiles.profile_update(user=request.user, data=data,
                                          request=request)
        return Response(s.ProfileOut(profile).data)


class SavedProfileListView(APIView):
    @extend_schema(responses=s.SavedProfileOut(many=True), tags=["profile"])
    def get(self, request):
        items = request.user.saved_profiles.all()
        return Response(s.SavedProfileOut(items, many=True).data)

    @extend_schema(request=s.SavedProfileIn, responses={201: s.SavedProfileOut}, tags=["profile"])
    def post(self, request):
        data = validated(s.SavedProfileIn, request.data)
        profile = profiles.saved_profile_create(user=request.user,
                                                data=data, request=request)
        return Response(s.SavedProfileOut(profile).data, status=status.HTTP_201_CREATED)


class SavedProfileDetailView(APIView):
    @extend_schema(responses=s.SavedProfileOut, tags=["profile"])
    def get(self, request, profile_id: int):
        profile = profiles.saved_profile_get(user=request.user, profile_id=profile_id)
        return Response(s.SavedProfileOut(profile).data)

    @extend_schema(request=s.SavedProfileIn, responses=s.SavedProfileOut, tags=["profile"])
    def put(self, request, profile_id: int):
        data = validated(s.SavedProfileIn, request.data, partial=True)
        profile = profiles.saved_profile_update(user=request.user, profile_id=profile_id,
                                                data=data, request=request)
        return Response(s.SavedProfileOut(profile).data)

    @extend_schema(responses={204: None}, tags=["profile"])
    def delete(self, request, profile_id: int):
        profiles.saved_profile_delete(user=request.user, profile_id=profile_id, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushTokenView(APIView):
    @extend_schema(request=s.PushTokenIn, responses={200: s.PushTokenOut, 201: s.PushTokenOut},
                   tags=["notifications"], summary="Register or update this device's FCM token")
    def post(self, request):
        data = validated(s.PushTokenIn, request.data)
        token, created = push_token_register(user=request.user, **data)
        return Response(s.PushTokenOut(token).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
