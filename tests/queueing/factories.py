"""Builders for queue tests: a match with an active queue, and entries in any state."""

from datetime import timedelta

from django.utils import timezone

from queueing.models import QueueConfig
from tests.seating.factories import make_match


def make_queue(*, opens_in: timedelta = timedelta(minutes=-1), **fields) -> QueueConfig:
    """An active queue; by default it opened a minute ago."""
    defaults = {"is_active": True, "opens_at": timezone.now() + opens_in,
                "admission_rate_per_minute": 100, "max_open_windows": 500}
    return QueueConfig.objects.create(match=make_match(), **{**defaults, **fields})
