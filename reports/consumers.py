import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from reports.services.dashboard import dashboard_allowed, dashboard_group, match_dashboard
from seating.models import Match

logger = logging.getLogger(__name__)


class MatchDashboardConsumer(AsyncJsonWebsocketConsumer):
    """ws/admin/dashboard/<match_id>/: the live match dashboard for staff with a dashboard role
    (the admin's session cookie). Sends {"type": "dashboard", "data": match_dashboard(…)} on
    connect, after the match's sales change, and every DASHBOARD_REFRESH_SECONDS while nothing
    changes (holds run out without an event; the waiting room moves on its own). Refused:
    signed out 4401, without the role 4403, an unknown match 4404.

    Coalescing: a nudge ("dashboard.changed", from dashboard_nudge) means "changes until
    DASHBOARD_PUSH_SECONDS from now", since the sender swallows further nudges for that long.
    So the consumer pushes at most once per DASHBOARD_PUSH_SECONDS, and keeps pushing until a
    push that started after the last nudge's guard ran out: a rush of sales costs each open
    dashboard about one recompute a second (the KPIs; the sales over time and by channel at
    most every DASHBOARD_SALES_SECONDS, and on the last look), and the last sale always
    shows."""

    pushed_at = 0.0  # loop time at which the last push started reading
    stale_until = 0.0  # changes may be unannounced until then
    sales, sales_at = None, float("-inf")  # the last sales breakdown read, and when
    flusher = refresher = None

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await database_sync_to_async(dashboard_allowed)(user):
            await self.close(code=4403)
            return
        self.match_id = self.scope["url_route"]["kwargs"]["match_id"]
        if not await database_sync_to_async(self._match_exists)():
            await self.close(code=4404)
            return
        # Joined before the first read, so no change falls between the two.
        self.group = dashboard_group(self.match_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._push()
        # A nudge sent just before we joined may be swallowing changes still: look once more.
        self.stale_until = self.pushed_at + settings.DASHBOARD_PUSH_SECONDS
        self._flush_soon()
        self.refresher = asyncio.ensure_future(self._refresh_when_idle())

    async def disconnect(self, code):
        for task in (self.flusher, self.refresher):
            if task is not None:
                task.cancel()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def dashboard_changed(self, message):
        # The sender's guard swallows further nudges for DASHBOARD_PUSH_SECONDS.
        self.stale_until = max(self.stale_until, self._now() + settings.DASHBOARD_PUSH_SECONDS)
        self._flush_soon()

    def _flush_soon(self) -> None:
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        while True:
            wait = self.pushed_at + settings.DASHBOARD_PUSH_SECONDS - self._now()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._push()
            if self.pushed_at >= self.stale_until:
                return

    async def _refresh_when_idle(self) -> None:
        every = settings.DASHBOARD_REFRESH_SECONDS
        while True:
            idle = self._now() - self.pushed_at
            if idle >= every:
                self.stale_until = max(self.stale_until, self._now())
                self._flush_soon()
                idle = 0.0
            await asyncio.sleep(every - idle)

    async def _push(self) -> None:
        # The last look of a burst (nothing announced is pending) reads everything; pushes
        # during a rush reuse the sales breakdown for up to DASHBOARD_SALES_SECONDS.
        last_look = self._now() >= self.stale_until
        self.pushed_at = self._now()
        fresh = last_look or self.pushed_at - self.sales_at >= settings.DASHBOARD_SALES_SECONDS
        try:
            data = await database_sync_to_async(match_dashboard)(
                self.match_id, sales=None if fresh else self.sales)
        except Exception:  # the next nudge or refresh tries again; the socket stays open
            logger.exception("match %s: the dashboard could not be computed", self.match_id)
            return
        if fresh:
            self.sales, self.sales_at = data["sales"], self.pushed_at
        await self.send_json({"type": "dashboard", "data": data})

    def _match_exists(self) -> bool:
        return Match.objects.filter(pk=self.match_id, is_deleted=False).exists()

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()
