"""Payment outcomes for quota claims (payment reference `claim:<id>`); orders' payments
(`order:<id>`) are ticketing's. Each receiver hands over to the claims service."""

from django.dispatch import receiver

from payments.signals import payment_failed, payment_succeeded
from quotas.services import claims


@receiver(payment_succeeded, dispatch_uid="quotas.claim_payment_succeeded")
def on_payment_succeeded(sender, payment, **kwargs):
    if claims.claim_id_from_reference(payment.reference) is not None:
        claims.claim_payment_succeeded(payment=payment)


@receiver(payment_failed, dispatch_uid="quotas.claim_payment_failed")
def on_payment_failed(sender, payment, **kwargs):
    if claims.claim_id_from_reference(payment.reference) is not None:
        claims.claim_payment_failed(payment=payment)
