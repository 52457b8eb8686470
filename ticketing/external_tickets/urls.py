from django.urls import path

from ticketing.external_tickets import api

urlpatterns = [
    path("admin/matches/<id:match_id>/upload-pdf-tickets", api.PdfTicketsUploadView.as_view(),
         name="admin-match-pdf-upload"),
    path("admin/matches/<id:match_id>/pdf-tickets/send", api.PdfTicketsSendView.as_view(),
         name="admin-match-pdf-send"),
    path("tickets/<id:ticket_id>/pdf", api.TicketPdfView.as_view(), name="ticket-pdf"),
]
