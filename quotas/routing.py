from django.urls import path

from quotas.consumers import QuotaSyncConsumer

websocket_urlpatterns = [path("ws/quotas/<id:quota_id>/", QuotaSyncConsumer.as_asgi())]
