"""queueing.channel_batch.group_send_many: every group gets its message, as with group_send,
and a burst larger than the receiving process's capacity waits for room instead of being
dropped."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from queueing.channel_batch import group_send_many

pytestmark = pytest.mark.skipif(
    "channels_redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"],
    reason="needs REDIS_URL")


def test_a_burst_over_the_capacity_is_delivered_whole():
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"],
                              prefix="test-batch", capacity=2)

    async def scenario():
        # Five sockets of one server process: their channels share one Redis key of capacity 2.
        channels = [await layer.new_channel() for _ in range(5)]
        for number, channel in enumerate(channels):
            await layer.group_add(f"fan.{number}", channel)
        sending = asyncio.create_task(group_send_many(
            layer, [(f"fan.{n}", {"type": "queue.event", "n": n}) for n in range(5)]))
        received = [await asyncio.wait_for(layer.receive(c), 5) for c in channels]
        await sending
        await layer.flush()
        return received

    received = async_to_sync(scenario)()

    assert [message["n"] for message in received] == [0, 1, 2, 3, 4]
