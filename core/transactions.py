"""Side effects run only after the transaction that caused them commits."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.outages import unless_redis_down


def enqueue_on_commit(task, *args, robust: bool = False, **kwargs) -> None:
    """`task.delay(*args)` once the current transaction commits (at once outside one). With
    `robust`, a failure to enqueue (the broker down) is logged instead of raised: for work a
    sweep redoes anyway."""

    def enqueue() -> None:  # a function, not a partial: a robust failure is logged by name
        task.delay(*args, **kwargs)

    transaction.on_commit(enqueue, robust=robust)


def broadcast_on_commit(group: str, message: dict) -> None:
    """Send `message` to a Channels group once the current transaction commits. A message is
    live news, not a record: one the channel layer cannot take (Redis down) is logged and
    dropped, never a failure of what committed (the portal re-reads its state on reconnecting)."""

    def send():
        layer = get_channel_layer()
        if layer is not None:
            with unless_redis_down(f"the WebSocket message to {group}"):
                async_to_sync(layer.group_send)(group, message)

    transaction.on_commit(send)
