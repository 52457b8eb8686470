"""A fan's cancellation follows its refund: COMPLETED or FAILED with it."""

from django.dispatch import receiver
from django.utils import timezone

from payments.signals import refund_completed, refund_failed
from ticketing.aftersale.models import CancellationRequest, CancellationStatus


@receiver(refund_completed, dispatch_uid="aftersale.refund_completed")
def on_refund_completed(sender, refund, **kwargs):
    CancellationRequest.objects.filter(refund=refund).exclude(
        status=CancellationStatus.COMPLETED).update(status=CancellationStatus.COMPLETED,
                                                    completed_at=timezone.now())


@receiver(refund_failed, dispatch_uid="aftersale.refund_failed")
def on_refund_failed(sender, refund, **kwargs):
    CancellationRequest.objects.filter(refund=refund, status=CancellationStatus.PROCESSING).update(
        status=CancellationStatus.FAILED)
