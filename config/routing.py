from queueing.routing import websocket_urlpatterns as queueing_ws
from quotas.routing import websocket_urlpatterns as quotas_ws
from reports.routing import websocket_urlpatterns as reports_ws
from ticketing.routing import websocket_urlpatterns as ticketing_ws

websocket_urlpatterns = [*ticketing_ws, *queueing_ws, *quotas_ws, *reports_ws]
