"""The Redis channel layer on a quiet channel: channels_redis waits for messages with a 5-second
BZPOPMIN, and redis-py 8 gives every connection a 5-second socket timeout by default, so a
channel that stayed quiet for 5 seconds raised TimeoutError in the consumer and closed the fan's
socket (seen as ~1 in 1,000 waiting-room sockets dropped during an on-sale run). The layer's
connections wait longer than one BZPOPMIN (config/settings.py)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

pytestmark = pytest.mark.skipif(
    "channels_redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"],
    reason="needs REDIS_URL")


def test_a_channel_quiet_for_longer_than_one_blocking_pop_still_receives():
    from channels_redis.core import RedisChannelLayer

    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    layer = RedisChannelLayer(hosts=config["hosts"], prefix="test-idle")
    quiet = RedisChannelLayer.brpop_timeout + 1.5

    async def scenario():
        channel = await layer.new_channel()

        async def send_later():
            await asyncio.sleep(quiet)
            await layer.send(channel, {"type": "queue.event", "n": 1})

        sending = asyncio.create_task(send_later())
        try:
            return await asyncio.wait_for(layer.receive(channel), quiet + 5)
        finally:
            await sending
            await layer.flush()

    assert async_to_sync(scenario)() == {"type": "queue.event", "n": 1}
