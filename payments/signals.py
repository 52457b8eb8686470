"""What `payments` tells the apps above it. Each is sent once the transaction that changed the
payment commits, with `sender=Payment` and `payment=<Payment>`; receivers look the order up by
`payment.reference`."""

from django.dispatch import Signal

payment_succeeded = Signal()
payment_failed = Signal()
payment_refunded = Signal()
