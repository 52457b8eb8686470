"""Away-match PDF tickets (E9-F6).

POST /api/admin/matches/<id>/upload-pdf-tickets   multipart `files` (PDFs, or one zip): match
                                                  them to tickets (Match Manager)
POST /api/admin/matches/<id>/pdf-tickets/send     email every holder their PDF, once (202)
GET  /api/tickets/<id>/pdf                        the buyer's PDF ticket
GET  /tickets/pdf/<signed token>                  the holder's PDF, from the link they were sent"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import HasRole, Role
from ticketing.external_tickets import services
from ticketing.external_tickets.tasks import pdf_tickets_email_task

MANAGER = HasRole(Role.MATCH_MANAGER)


class UploadOut(serializers.Serializer):
    id = serializers.IntegerField()
    files = serializers.IntegerField()
    matched = serializers.IntegerField()
    unmatched = serializers.ListField(child=serializers.DictField(),
                                      help_text="[{file, reason}] for the admin to place")


def pdf_response(pdf) -> FileResponse:
    response = FileResponse(pdf.file.open("rb"), content_type="application/pdf",
                            as_attachment=True, filename=f"ticket-{pdf.ticket_id}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


@extend_schema(tags=["external tickets"])
class PdfTicketsUploadView(APIView):
    permission_classes = [MANAGER]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": inline_serializer(
        "PdfTicketsUpload", {"files": serializers.ListField(child=serializers.FileField())})},
        responses={201: UploadOut}, summary="Upload the host's PDF tickets of an away match")
    def post(self, request, match_id: int):
        upload = services.pdf_tickets_upload(match_id=match_id,
                                             files=request.FILES.getlist("files"),
                                             actor=request.user)
        return Response(UploadOut(upload).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["external tickets"])
class PdfTicketsSendView(APIView):
    permission_classes = [MANAGER]

    @extend_schema(request=None, responses={202: None},
                   summary="Email each holder their PDF ticket (once per ticket)")
    def post(self, request, match_id: int):
        pdf_tickets_email_task.delay(match_id)
        return Response({"detail": "Sending the PDF tickets."}, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["tickets"])
class TicketPdfView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY},
                   summary="The host's PDF ticket of an away match")
    def get(self, request, ticket_id: int):
        return pdf_response(services.pdf_for_buyer(user=request.user, ticket_id=ticket_id))
