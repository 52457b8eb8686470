from django.urls import path

from accessctl import api

urlpatterns = [
    path("admin/blacklist", api.EntryListView.as_view(), name="admin-blacklist"),
    path("admin/blacklist/import", api.ImportView.as_view(), name="admin-blacklist-import"),
    path("admin/blacklist/violations", api.ViolationListView.as_view(),
         name="admin-blacklist-violations"),
    path("admin/blacklist/imports/<id:batch_id>/tickets", api.ImportTicketsView.as_view(),
         name="admin-blacklist-import-tickets"),
    path("admin/blacklist/imports/<id:batch_id>/cancel-tickets",
         api.ImportTicketsCancelView.as_view(), name="admin-blacklist-import-cancel-tickets"),
    path("admin/blacklist/<id:entry_id>", api.EntryView.as_view(), name="admin-blacklist-entry"),
    path("admin/blacklist/<id:entry_id>/remove", api.EntryRemoveView.as_view(),
         name="admin-blacklist-remove"),
    path("admin/blacklist/<id:entry_id>/restore", api.EntryRestoreView.as_view(),
         name="admin-blacklist-restore"),
    path("admin/blacklist/<id:entry_id>/tickets", api.EntryTicketsView.as_view(),
         name="admin-blacklist-tickets"),
    path("admin/blacklist/<id:entry_id>/cancel-tickets", api.EntryTicketsCancelView.as_view(),
         name="admin-blacklist-cancel-tickets"),
    path("internal/blacklist/check", api.InternalCheckView.as_view(),
         name="internal-blacklist-check"),
]
