"""Payment outcomes for quota claims (payment reference `claim:<id>`); orders' payments
(`order:<id>`) are ticketing's. Each receiver hands over to the claims service. A new account
is bound to the quotas already addressed to its email."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from payments.signals import payment_failed, payment_succeeded
from quotas.services import claims
from quotas.services.common import quotas_bind_account


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
