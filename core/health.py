"""GET /healthz: 200 when the database, cache and channel layer all answer; 503 naming each
one that does not."""

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", 5)
    if cache.get(key) != "ok":
        raise RuntimeError("value written was not read back")
    cache.delete(key)


async def _channel_layer_roundtrip():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "healthz.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("message sent was not received")


CHECKS = {
    "database": _database,
    "cache": _cache,
    "channel_layer": async_to_sync(_channel_layer_roundtrip),
}


@require_GET
def healthz(request):
    checks, down = {}, []
    for name, check in CHECKS.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "down"; the message says why
            checks[name] = f"down: {exc.__class__.__name__}: {exc}"[:300]
            down.append(name)
    body = {"status": "down" if down else "ok", "checks": checks}
    if down:
        body["detail"] = f"Not healthy: {', '.join(down)} down."
    return JsonResponse(body, status=503 if down else 200)
