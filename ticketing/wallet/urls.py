from django.urls import path

from ticketing.wallet import api

urlpatterns = [
    path("tickets/<int:ticket_id>/wallet/apple", api.AppleWalletPassView.as_view(),
         name="ticket-wallet-apple"),
    path("tickets/<int:ticket_id>/wallet/google", api.GoogleWalletPassView.as_view(),
         name="ticket-wallet-google"),
]
