"""Payment outcomes for quota claims (payment reference `claim:<id>`); orders' payments
(`order:<id>`) are ticketing's. Each receiver hands over to the claims service. A new account
is bound to the quotas already addressed to its email."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from core.locks import lock_rows
from payments.signals import payment_failed, payment_succeeded
from quotas.models import QuotaSeat, QuotaSeatStatus
from quotas.services import claims
from quotas.services.common import quotas_bind_account
from ticketing.aftersale.services.endings import tickets_ending
from ticketing.aftersale.services.sector_transfer import tickets_seat_changed


@receiver(payment_succeeded, dispatch_uid="quotas.claim_payment_succeeded")
def on_payment_succeeded(sender, payment, **kwargs):
    if claims.claim_id_from_reference(payment.reference) is not None:
        claims.claim_payment_succeeded(payment=payment)


@receiver(payment_failed, dispatch_uid="quotas.claim_payment_failed")
def on_payment_failed(sender, payment, **kwargs):
    if claims.claim_id_from_reference(payment.reference) is not None:
        claims.claim_payment_failed(payment=payment)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="quotas.bind_new_account")
def on_account_created(sender, instance, created, **kwargs):
    if created and instance.email:
        quotas_bind_account(instance)


@receiver(tickets_ending, dispatch_uid="quotas.tickets_ending")
def on_tickets_ending(sender, ticket_ids, **kwargs):
    """A refunded or cancelled quota ticket closes the quota seat it was claimed from; its seat
    goes back on public sale with the others (the after-sale releases it)."""
    seats = lock_rows(QuotaSeat.objects.filter(ticket_id__in=ticket_ids))
    if seats:
        QuotaSeat.objects.filter(pk__in=[s.pk for s in seats]).update(
            status=QuotaSeatStatus.CANCELLED)


@receiver(tickets_seat_changed, dispatch_uid="quotas.tickets_seat_changed")
def on_tickets_seat_changed(sender, moves, **kwargs):
    """A quota ticket moved to another sector: its quota seat points to the new seat."""
    for seat in lock_rows(QuotaSeat.objects.filter(ticket_id__in=list(moves))):
        QuotaSeat.objects.filter(pk=seat.pk).update(inventory_id=moves[seat.ticket_id])
