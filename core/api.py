from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from core.models import AuditEvent
from core.roles import HasRole, Role


class AuditEventOut(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ("id", "created_at", "actor_id", "actor_email", "impersonator_email", "action",
                  "object_type", "object_id", "before", "after", "ip_address")


@extend_schema(tags=["admin"], parameters=[
    OpenApiParameter("action", str), OpenApiParameter("object_type", str),
    OpenApiParameter("object_id", str), OpenApiParameter("actor_email", str)])
class AuditEventListView(ListAPIView):
    """The audit trail, newest first (Supervisor)."""

    permission_classes = [HasRole(Role.SUPERVISOR)]
    serializer_class = AuditEventOut
    FILTERS = ("action", "object_type", "object_id", "actor_email")

    def get_queryset(self):
        query = {k: v for k in self.FILTERS if (v := self.request.query_params.get(k))}
        return AuditEvent.objects.filter(**query)
