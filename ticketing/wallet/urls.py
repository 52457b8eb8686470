from django.urls import path

from ticketing.wallet import api

urlpatterns = [
    path("tickets/<id:ticket_id>/wallet/apple", api.AppleWalletPassView.as_view(),
         name="ticket-wallet-apple"),
    path("tickets/<id:ticket_id>/wallet/google", api.GoogleWalletPassView.as_view(),
         name="ticket-wallet-google"),
]
