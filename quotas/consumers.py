from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.errors import NotFound
from quotas.services.common import quota_for_holder, sync_group


class QuotaSyncConsumer(AsyncJsonWebsocketConsumer):
    """ws/quotas/<quota_id>/: live changes of a quota family for its holder, on the portal's
    pages (session cookie) and in the app (`?token=<access token>`).

    Services announce every change with `sync_notify` after commit, to the group of the root
    quota, as {"type": "quota.changed", "event": {"event", "quota_id", "root_id", …}}; this
    forwards those messages unchanged. A sub-recipient hears only about their own subquota and
    the root (a cancellation), not about the holder's other guests."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        quota_id = self.scope["url_route"]["kwargs"]["quota_id"]
        try:
            quota = await database_sync_to_async(quota_for_holder)(user=user,
                                                                   quota_id=quota_id)
        except NotFound:  # someone else's quota too: its existence is not theirs to learn
            await self.close(code=4404)
            return
        self.quota_id, self.root_id = quota.pk, quota.root_id
        self.is_subquota = quota.is_subquota
        self.group = sync_group(quota.root_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "quota_id": self.quota_id,
                              "root_id": self.root_id})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def quota_changed(self, message):
        event = message.get("event") or {}
        if self.is_subquota and event.get("quota_id") not in (self.quota_id, self.root_id):
            return
        await self.send_json({"type": "quota.changed", "event": event})
