"""Fan API for the waiting room (E5-F1, F4, F5): join, status, heartbeat, leave.
Views call a service and render its QueueView."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.limits import per_user
from queueing import services


class WindowOut(serializers.Serializer):
    expires_at = serializers.DateTimeField()
    admission_token = serializers.CharField()


class QueueOut(serializers.Serializer):
    match_id = serializers.IntegerField()
    status = serializers.CharField()
    position = serializers.IntegerField(allow_null=True)
    estimated_wait_time = serializers.IntegerField(allow_null=True,
                                                   help_text="Seconds, at the measured rate.")
    total_queue_size = serializers.IntegerField()
    window = WindowOut(allow_null=True)


def _render(view: services.QueueView) -> Response:
    return Response(QueueOut(view.as_dict()).data)


class QueueJoinView(APIView):
    throttle_classes = [per_user("queue-join", "QUEUE_JOIN_RATE")]

    @extend_schema(request=None, responses=QueueOut, tags=["queue"],
                   summary="Join the match's waiting queue (joining again returns your place)")
    def post(self, request, match_id: int):
        return _render(services.queue_join(match_id=match_id, user=request.user))


class QueueStatusView(APIView):
    @extend_schema(responses=QueueOut, tags=["queue"],
                   summary="Your place in the queue, or your purchase window once admitted")
    def get(self, request, match_id: int):
        return _render(services.queue_status(match_id=match_id, user=request.user))


class QueueHeartbeatView(APIView):
    @extend_schema(request=None, responses=QueueOut, tags=["queue"],
                   summary="Keep your place (it is lost after 30 minutes without a heartbeat)")
    def post(self, request, match_id: int):
        return _render(services.queue_heartbeat(match_id=match_id, user=request.user))


class QueueLeaveView(APIView):
    @extend_schema(request=None, responses=QueueOut, tags=["queue"],
                   summary="Leave the queue (or give up your purchase window); "
                           "joining again puts you at the back")
    def post(self, request, match_id: int):
        return _render(services.queue_leave(match_id=match_id, user=request.user))
