from django.urls import path

from queueing.consumers import QueueConsumer

websocket_urlpatterns = [path("ws/queue/<id:match_id>/", QueueConsumer.as_asgi())]
