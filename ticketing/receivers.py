"""Payment outcomes for orders. `payments` sends these on commit with `payment=`; each receiver
only hands over to the checkout service, which holds the rules."""

from django.dispatch import receiver

from payments.signals import payment_failed, payment_succeeded
from ticketing.services import checkout


@receiver(payment_succeeded, dispatch_uid="ticketing.order_payment_succeeded")
def on_payment_succeeded(sender, payment, **kwargs):
    checkout.order_payment_succeeded(payment=payment)


@receiver(payment_failed, dispatch_uid="ticketing.order_payment_failed")
def on_payment_failed(sender, payment, **kwargs):
    checkout.order_payment_failed(payment=payment)
