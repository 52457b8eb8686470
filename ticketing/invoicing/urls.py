from django.urls import path

from ticketing.invoicing import api

urlpatterns = [
    path("admin/payment-offers", api.PaymentOfferListView.as_view(),
         name="admin-payment-offers"),
    path("admin/payment-offers/<id:offer_id>", api.PaymentOfferDetailView.as_view(),
         name="admin-payment-offer"),
    path("admin/payment-offers/<id:offer_id>/paid", api.PaymentOfferPaidView.as_view(),
         name="admin-payment-offer-paid"),
    path("admin/payment-offers/<id:offer_id>/cancel", api.PaymentOfferCancelView.as_view(),
         name="admin-payment-offer-cancel"),
    path("admin/debtors/<id:debtor_id>/open-orders", api.DebtorOpenOrdersView.as_view(),
         name="admin-debtor-open-orders"),
    path("admin/eracuni-documents", api.DocumentListView.as_view(),
         name="admin-eracuni-documents"),
]
