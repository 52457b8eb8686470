"""What `payments` tells the apps above it. Each is sent once the transaction that changed the
payment commits, with `sender=Payment` and `payment=<Payment>`; receivers look the order up by
`payment.reference`."""

from django.dispatch import Signal

payment_succeeded = Signal()
payment_failed = Signal()
payment_refunded = Signal()

# Sent with `sender=Refund` and `refund=<Refund>` once the change commits. A completed refund is
# the e-invoicing credit note's signal; the apps above look up what it refunded by
# `refund.reference`.
refund_completed = Signal()
refund_failed = Signal()
refund_rejected = Signal()
