from django.urls import path

from ticketing.aftersale import api

urlpatterns = [
    path("admin/orders/<id:order_id>/refund", api.OrderRefundView.as_view(),
         name="admin-order-refund"),
    path("orders/<id:order_id>/cancel-tickets", api.CancelTicketsView.as_view(),
         name="order-cancel-tickets"),
    path("tickets/<id:ticket_id>/transfer", api.TicketTransferView.as_view(),
         name="ticket-transfer"),
    path("admin/matches/<id:match_id>/cancel-request", api.MatchCancelRequestView.as_view(),
         name="admin-match-cancel-request"),
    path("admin/matches/<id:match_id>/cancel", api.MatchCancelView.as_view(),
         name="admin-match-cancel"),
    path("admin/matches/<id:match_id>/cancellation", api.MatchCancellationView.as_view(),
         name="admin-match-cancellation"),
    path("admin/tickets/sector-transfer", api.SectorTransferView.as_view(),
         name="admin-sector-transfer"),
]
