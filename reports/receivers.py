"""What makes the live match dashboard refresh: a change of the match's seats or holds, a sale
(order completed: shop, quota claim, petrol station) and a refund given back. Each only nudges
(reports.services.dashboard.dashboard_nudge); the dashboards recompute, at most once a second."""

from django.dispatch import receiver

from payments.signals import refund_completed
from reports.services.dashboard import dashboard_nudge
from seating.signals import seat_statuses_changed
from ticketing.models import Order
from ticketing.services.checkout import order_id_from_reference
from ticketing.signals import order_completed


@receiver(seat_statuses_changed, dispatch_uid="reports.dashboard.seats")
def on_seat_statuses_changed(sender, match_id, **kwargs):
    dashboard_nudge(match_id)


@receiver(order_completed, dispatch_uid="reports.dashboard.order")
def on_order_completed(sender, match_id, **kwargs):
    dashboard_nudge(match_id)


@receiver(refund_completed, dispatch_uid="reports.dashboard.refund")
def on_refund_completed(sender, refund, **kwargs):
    order_id = order_id_from_reference(refund.reference)
    match_id = (Order.objects.filter(pk=order_id).values_list("match_id", flat=True).first()
                if order_id else None)
    if match_id is not None:
        dashboard_nudge(match_id)
