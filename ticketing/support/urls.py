from django.urls import path

from ticketing.support import api

urlpatterns = [
    path("admin/tickets/search", api.TicketSearchView.as_view(), name="admin-tickets-search"),
    path("admin/tickets/<id:ticket_id>/transfer", api.TicketTransferRequestView.as_view(),
         name="admin-ticket-transfer"),
    path("admin/tickets/<id:ticket_id>/print", api.TicketPrintView.as_view(),
         name="admin-ticket-print"),
    path("admin/tickets/<id:ticket_id>/prints", api.TicketPrintsView.as_view(),
         name="admin-ticket-prints"),
    path("admin/orders/<id:order_id>/refund-request", api.OrderRefundRequestView.as_view(),
         name="admin-order-refund-request"),
    path("admin/support/transfer-requests", api.TransferRequestListView.as_view(),
         name="admin-support-transfer-requests"),
    path("admin/support/transfer-requests/<id:request_id>/approve",
         api.TransferRequestApproveView.as_view(), name="admin-support-transfer-approve"),
    path("admin/support/transfer-requests/<id:request_id>/reject",
         api.TransferRequestRejectView.as_view(), name="admin-support-transfer-reject"),
    path("admin/support/refund-requests", api.RefundRequestListView.as_view(),
         name="admin-support-refund-requests"),
    path("admin/support/refund-requests/<id:request_id>/approve",
         api.RefundRequestApproveView.as_view(), name="admin-support-refund-approve"),
    path("admin/support/refund-requests/<id:request_id>/reject",
         api.RefundRequestRejectView.as_view(), name="admin-support-refund-reject"),
]
