from django.urls import path

from ticketing.promotions import api

urlpatterns = [
    path("promo-codes/validate", api.PromoValidateView.as_view(), name="promo-validate"),
    path("admin/promo-codes", api.AdminPromoListView.as_view(), name="admin-promo-codes"),
    path("admin/promo-codes/validate", api.AdminPromoValidateView.as_view(),
         name="admin-promo-validate"),
    path("admin/promo-codes/<id:promo_id>", api.AdminPromoDetailView.as_view(),
         name="admin-promo-code"),
    path("admin/promo-codes/<id:promo_id>/deactivate", api.AdminPromoDeactivateView.as_view(),
         name="admin-promo-deactivate"),
]
