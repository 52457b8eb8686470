"""The virtual waiting room (E5): one QueueConfig per match and one QueueEntry per fan's stay in
the queue. A fan's place is `sort_key` (smaller is earlier); see queueing.services."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from seating.models import Match


class QueueConfig(models.Model):
    """Read afresh by every admission run, so rate and cap edits in the admin apply at once."""

    match = models.OneToOneField(Match, on_delete=models.CASCADE, related_name="queue_config")
    is_active = models.BooleanField(default=False)
    # When sales open: fans who join before it are shuffled among themselves (random keys).
    opens_at = models.DateTimeField()
    admission_rate_per_minute = models.PositiveIntegerField(default=100)
    max_open_windows = models.PositiveIntegerField(default=500)
    window_minutes = models.PositiveSmallIntegerField(default=20)
    # Paused: fans keep joining and keep their places, but nobody new is admitted.
    admission_paused = models.BooleanField(default=False)
    # Arrival counter for fans who join after opens_at (their sort_key); also the row every join
    # and every admission run locks, so positions and the open-window cap never race.
    next_sort_key = models.BigIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Queue for match {self.match_id}"


class QueueStatus(models.TextChoices):
    WAITING = "WAITING"
    ADMITTED = "ADMITTED"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"
    LEFT = "LEFT"
    DROPPED = "DROPPED"  # heartbeat lost for too long: position gone


LIVE_STATUSES = (QueueStatus.WAITING, QueueStatus.ADMITTED)


class QueueEntry(models.Model):
    # No single-column indexes: the indexes below lead with match and with user, and every
    # index costs each join (insert) and each status change.
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="queue_entries",
                              db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="queue_entries", db_index=False)
    status = models.CharField(max_length=9, choices=QueueStatus.choices,
                              default=QueueStatus.WAITING)
    sort_key = models.BigIntegerField()
    joined_at = models.DateTimeField()
    last_heartbeat_at = models.DateTimeField()
    admitted_at = models.DateTimeField(null=True, blank=True)
    window_expires_at = models.DateTimeField(null=True, blank=True)
    admission_token = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # What the fan was told by push, so each threshold is pushed once (queueing.services):
    # the place at the last "moving up" push (or first seen after opening), and when the
    # "almost at the front" push went out.
    progress_notified_position = models.PositiveIntegerField(null=True, blank=True)
    near_front_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["match_id", "sort_key", "id"]
        verbose_name_plural = "queue entries"
        constraints = [
            models.UniqueConstraint(fields=["match", "user"], condition=Q(status__in=LIVE_STATUSES),
                                    name="queue_entry_one_live_per_fan"),
        ]
        indexes = [
            models.Index(fields=["match", "status", "sort_key"], name="queue_entry_rank"),
            models.Index(fields=["match", "admitted_at"], name="queue_entry_admitted"),
            # A fan's entries for a match (a join reads the latest), whatever their status.
            models.Index(fields=["user", "match"], name="queue_entry_fan"),
        ]

    def __str__(self):
        return f"{self.user_id} in queue {self.match_id} ({self.status})"
