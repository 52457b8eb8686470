from django.urls import path

from quotas.petrol import api

urlpatterns = [
    path("admin/petrol/quotas", api.PetrolQuotaListView.as_view(), name="admin-petrol-quotas"),
    path("admin/petrol/quotas/<id:quota_id>", api.PetrolQuotaDetailView.as_view(),
         name="admin-petrol-quota"),
    path("admin/petrol/quotas/<id:quota_id>/qr.svg", api.PetrolQuotaQrView.as_view(),
         {"kind": "svg"}, name="admin-petrol-quota-qr-svg"),
    path("admin/petrol/quotas/<id:quota_id>/qr.png", api.PetrolQuotaQrView.as_view(),
         {"kind": "png"}, name="admin-petrol-quota-qr-png"),
    path("admin/petrol/quotas/<id:quota_id>/cancel", api.PetrolQuotaCancelView.as_view(),
         name="admin-petrol-quota-cancel"),
    path("petrol-sales/<id:match_id>/generate-pin", api.GeneratePinView.as_view(),
         name="petrol-generate-pin"),
    path("petrol-sales/pins", api.MyPinsView.as_view(), name="petrol-my-pins"),
    path("petrol-portal/pins/<str:pin>", api.PinLookupView.as_view(), name="petrol-pin"),
    path("petrol-portal/pins/<str:pin>/confirm", api.ConfirmView.as_view(),
         name="petrol-pin-confirm"),
    path("petrol-portal/reservations/<id:reservation_id>/verify-identity",
         api.VerifyIdentityView.as_view(), name="petrol-verify-identity"),
    path("petrol-portal/reservations/<id:reservation_id>/cancel",
         api.ReservationCancelView.as_view(), name="petrol-reservation-cancel"),
]
