"""A fan's cancellation follows its refund: COMPLETED or FAILED with it. A match change made
with "notify" is told to its ticket holders."""

from django.dispatch import receiver
from django.utils import timezone

from core.transactions import enqueue_on_commit
from payments.signals import refund_completed, refund_failed
from seating.models import MatchChangeType, NotificationPreference
from seating.signals import match_changed
from ticketing.aftersale.models import CancellationRequest, CancellationStatus
from ticketing.aftersale.tasks import match_update_fanout_task


@receiver(refund_completed, dispatch_uid="aftersale.refund_completed")
def on_refund_completed(sender, refund, **kwargs):
    CancellationRequest.objects.filter(refund=refund).exclude(
        status=CancellationStatus.COMPLETED).update(status=CancellationStatus.COMPLETED,
                                                    completed_at=timezone.now())


@receiver(refund_failed, dispatch_uid="aftersale.refund_failed")
def on_refund_failed(sender, refund, **kwargs):
    CancellationRequest.objects.filter(refund=refund, status=CancellationStatus.PROCESSING).update(
        status=CancellationStatus.FAILED)


@receiver(match_changed, dispatch_uid="aftersale.match_changed")
def on_match_changed(sender, log, **kwargs):
    if (log.notification_preference == NotificationPreference.NOTIFY
            and log.change_type != MatchChangeType.CANCEL):
        enqueue_on_commit(match_update_fanout_task, log.pk, robust=True)
