from django.urls import path

from ticketing.support import api

urlpatterns = [
    path("admin/tickets/search", api.TicketSearchView.as_view(), name="admin-tickets-search"),
]
