from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.errors import DomainError
from queueing import services


class QueueConsumer(AsyncJsonWebsocketConsumer):
    """ws/queue/<match_id>/: the signed-in fan's place, sent on connect and whenever the queue
    tells them (position updates, admission) through group user_group(match_id, user_id).
    A {"type": "heartbeat"} message keeps the place like POST …/heartbeat."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        self.match_id = self.scope["url_route"]["kwargs"]["match_id"]
        self.group = services.user_group(self.match_id, user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await self._snapshot(services.queue_status))

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "heartbeat":
            await self.send_json(await self._snapshot(services.queue_heartbeat))

    @database_sync_to_async
    def _snapshot(self, service) -> dict:
        try:
            view = service(match_id=self.match_id, user=self.scope["user"])
        except DomainError as error:
            return {"type": "queue.error", "error": error.code, "detail": error.detail}
        return {"type": "queue.position", **view.as_dict()}

    async def queue_event(self, message):
        await self.send_json(message["event"])
