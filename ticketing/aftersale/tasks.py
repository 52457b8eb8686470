from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from ticketing.aftersale.models import MatchCancellation, MatchCancellationStatus


@shared_task(acks_late=True)
def match_cancel_run_task(cancellation_id: int, shard: int = 0, shards: int = 1) -> None:
    from ticketing.aftersale.services.match_cancel import match_cancel_run

    match_cancel_run(cancellation_id=cancellation_id, shard=shard, shards=shards)


@shared_task
def match_cancellations_resume(*, stale_seconds: int = 300) -> int:
    """A cancellation job that has made no progress for a while (its worker died) runs again,
    unsharded: it picks up whatever is left."""
    stale = timezone.now() - timedelta(seconds=stale_seconds)
    ids = list(MatchCancellation.objects.filter(status=MatchCancellationStatus.RUNNING,
                                                updated_at__lt=stale).values_list("pk", flat=True))
    for pk in ids:
        match_cancel_run_task.delay(pk)
    return len(ids)


@shared_task(acks_late=True)
def match_update_fanout_task(log_id: int) -> None:
    from ticketing.aftersale.services.match_updates import match_update_fanout

    match_update_fanout(log_id=log_id)


@shared_task
def match_updates_resume(*, stale_seconds: int = 300) -> int:
    """Fan-outs left unfinished (a worker died): run again; each person is still told once."""
    from seating.models import MatchAuditLog, NotificationPreference

    stale = timezone.now() - timedelta(seconds=stale_seconds)
    ids = list(MatchAuditLog.objects.filter(
        notification_preference=NotificationPreference.NOTIFY, notification_sent=False,
        created_at__lt=stale, created_at__gt=stale - timedelta(days=2))
        .exclude(change_type="CANCEL").values_list("pk", flat=True)[:100])
    for pk in ids:
        match_update_fanout_task.delay(pk)
    return len(ids)
