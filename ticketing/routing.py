from django.urls import path

from ticketing.consumers import UserEventsConsumer

websocket_urlpatterns = [path("ws/me/", UserEventsConsumer.as_asgi())]
