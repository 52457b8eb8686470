"""Wallet passes of a fan's ticket (E9-F4), within the ticket's visibility (E9-F2).

GET /api/tickets/<id>/wallet/apple    the .pkpass file
GET /api/tickets/<id>/wallet/google   {"url": "https://pay.google.com/gp/v/save/…"}"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ticketing.wallet import apple, google
from ticketing.wallet.content import pass_content


@extend_schema(tags=["tickets"])
class AppleWalletPassView(APIView):
    @extend_schema(responses={(200, "application/vnd.apple.pkpass"): OpenApiTypes.BINARY},
                   summary="The ticket as an Apple Wallet pass")
    def get(self, request, ticket_id: int):
        content = pass_content(user=request.user, ticket_id=ticket_id)
        response = HttpResponse(apple.pkpass(content), content_type="application/vnd.apple.pkpass")
        response["Content-Disposition"] = f'attachment; filename="ticket-{ticket_id}.pkpass"'
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(tags=["tickets"])
class GoogleWalletPassView(APIView):
    @extend_schema(responses=inline_serializer("GoogleWalletLink",
                                               {"url": serializers.URLField()}),
                   summary="An 'Add to Google Wallet' link for the ticket")
    def get(self, request, ticket_id: int):
        content = pass_content(user=request.user, ticket_id=ticket_id)
        return Response({"url": google.save_link(content)},
                        headers={"Cache-Control": "no-store"})
