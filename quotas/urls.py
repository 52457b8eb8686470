from django.urls import path

from quotas import api, import_api, portal_api, seat_search_api

urlpatterns = [
    path("admin/quotas", api.QuotaListView.as_view(), name="admin-quotas"),
    path("admin/quotas/<id:quota_id>", api.QuotaDetailView.as_view(), name="admin-quota"),
    path("quota-portal/dashboard", portal_api.DashboardView.as_view(),
         name="quota-portal-dashboard"),
    path("quota-portal/quotas/<id:quota_id>", portal_api.QuotaDetailView.as_view(),
         name="quota-portal-quota"),
    path("quota-portal/quotas/<id:quota_id>/select-seats", portal_api.SelectSeatsView.as_view(),
         name="quota-portal-select-seats"),
    path("quota-portal/quotas/<id:quota_id>/ticket-holders",
         portal_api.TicketHoldersView.as_view(),
         name="quota-portal-ticket-holders"),
    path("quota-portal/quotas/<id:quota_id>/payment", portal_api.PaymentView.as_view(),
         name="quota-portal-payment"),
    path("quota-portal/claims/<id:claim_id>", portal_api.ClaimDetailView.as_view(),
         name="quota-portal-claim"),
    path("quota-portal/claims/<id:claim_id>/pay-local", portal_api.ClaimPayLocalView.as_view(),
         name="quota-portal-pay-local"),
    path("quota-portal/quotas/<id:quota_id>/subquotas", portal_api.SubquotasView.as_view(),
         name="quota-portal-subquotas"),
    path("quota-portal/subquotas/<id:subquota_id>", portal_api.SubquotaRetractView.as_view(),
         name="quota-portal-subquota"),
    path("admin/seats/search", seat_search_api.SeatSearchView.as_view(),
         name="admin-seat-search"),
    path("admin/quotas/import", import_api.QuotaImportView.as_view(), name="admin-quotas-import"),
]
