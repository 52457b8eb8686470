"""Waiting-room background work. Add to CELERY_BEAT_SCHEDULE:
    "queue-tick": {"task": "queueing.tasks.queue_tick", "schedule": 5.0},
    "queue-positions": {"task": "queueing.tasks.queue_positions_push",
                        "schedule": QUEUE_POSITIONS_PUSH_SECONDS},
Tasks take primary keys (or nothing) and call services."""

from celery import shared_task

from queueing import services
from queueing.models import QueueConfig
from seating.models import Match


def _active_match_ids() -> list[int]:
    return list(QueueConfig.objects.filter(is_active=True).values_list("match_id", flat=True))


@shared_task
def queue_tick() -> dict:
    """Every few seconds: sweep, re-sync the rank index, admit, publish the admission rate
    (for the waiting fans' estimates) and push "almost at the front", per active queue."""
    admitted = {}
    for match in Match.objects.filter(pk__in=_active_match_ids()):
        services.queue_sweep(match=match)
        services.rank_index_sync(match_id=match.pk)
        admitted[match.pk] = len(services.queue_admit(match=match))
        services.queue_admission_rate_publish(match=match)
        services.queue_near_front_notify(match=match)
    return admitted


@shared_task
def queue_positions_push() -> int:
    """Every QUEUE_POSITIONS_PUSH_SECONDS: each waiting fan gets their position over the
    WebSocket, and a push when their place moved up a lot."""
    return sum(services.queue_positions_broadcast(match=match)
               for match in Match.objects.filter(pk__in=_active_match_ids()))
