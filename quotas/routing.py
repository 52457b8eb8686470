from django.urls import path

from quotas.consumers import QuotaSyncConsumer

websocket_urlpatterns = [path("ws/quotas/<int:quota_id>/", QuotaSyncConsumer.as_asgi())]
