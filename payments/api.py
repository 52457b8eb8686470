from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.services import webhook_handle


@extend_schema(tags=["payments"], request=None, responses={
    200: inline_serializer("WebhookReceived", {"received": serializers.BooleanField()}),
    400: OpenApiResponse(description="Bad or missing Stripe-Signature")})
class StripeWebhookView(APIView):
    """Stripe's webhook (E8-F1). Authenticated by its signature alone, so no session, no CSRF,
    no throttle; the raw body is verified before anything reads it."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def post(self, request):
        webhook_handle(payload=request.body,
                       signature=request.headers.get("Stripe-Signature", ""))
        return Response({"received": True})
