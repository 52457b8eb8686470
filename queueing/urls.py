from django.urls import path

from queueing.api import QueueHeartbeatView, QueueJoinView, QueueLeaveView, QueueStatusView

urlpatterns = [
    path("queue/<id:match_id>/join", QueueJoinView.as_view(), name="queue-join"),
    path("queue/<id:match_id>/status", QueueStatusView.as_view(), name="queue-status"),
    path("queue/<id:match_id>/heartbeat", QueueHeartbeatView.as_view(), name="queue-heartbeat"),
    path("queue/<id:match_id>/leave", QueueLeaveView.as_view(), name="queue-leave"),
]
