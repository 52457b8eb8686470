from django.urls import path

from reports.consumers import MatchDashboardConsumer

websocket_urlpatterns = [
    path("ws/admin/dashboard/<id:match_id>/", MatchDashboardConsumer.as_asgi()),
]
