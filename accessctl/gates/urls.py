from django.urls import path

from accessctl.gates import api

urlpatterns = [
    path("admin/matches/<id:match_id>/access-control-export", api.AccessExportView.as_view(),
         name="admin-access-export"),
    path("admin/matches/<id:match_id>/close", api.MatchCloseView.as_view(),
         name="admin-match-close"),
    path("admin/matches/<id:match_id>/attendance", api.AttendanceView.as_view(),
         name="admin-match-attendance"),
    path("gate/scan", api.ScanView.as_view(), name="gate-scan"),
    path("gate/matches/<id:match_id>/key", api.GateKeyView.as_view(), name="gate-key"),
]
