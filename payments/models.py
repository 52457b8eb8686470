"""Payments (E4-F7, E8-F1). A payment knows what it pays for only by an opaque `reference`
("order:42"), so `payments` never imports the apps above it; they learn outcomes from the signals
in `payments.signals`. Every write goes through `payments.services`."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.status import StatusMachine
from payments.pricing import CURRENCY


class Provider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    LOCAL = "local", "Local (embedded demo)"


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    REFUNDED = "REFUNDED", "Refunded"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", "Partially refunded"


# The only moves a payment makes. FAILED -> PENDING is the fan retrying with another card; a
# second partial refund keeps PARTIALLY_REFUNDED or completes it.
PAYMENT_STATUS = StatusMachine("payment", {
    PaymentStatus.PENDING: {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED},
    PaymentStatus.FAILED: {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED},
    PaymentStatus.SUCCEEDED: {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED},
    PaymentStatus.REFUNDED: set(),
})


class Payment(models.Model):
    reference = models.CharField(max_length=100, db_index=True,
                                 help_text='What is paid for, e.g. "order:42".')
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=CURRENCY)
    provider = models.CharField(max_length=10, choices=Provider.choices)
    provider_payment_id = models.CharField(
        max_length=255, null=True, blank=True, help_text="The PaymentIntent id.")
    client_secret = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices,
                              default=PaymentStatus.PENDING, db_index=True)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2,
                                          default=Decimal("0.00"))
    failure_message = models.TextField(blank=True)
    delivered_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the app it pays for handled its success (payments.outcomes)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["updated_at"], name="payment_undelivered",
                                condition=Q(status="SUCCEEDED", delivered_at__isnull=True))]
        constraints = [
            models.UniqueConstraint(fields=["provider_payment_id"],
                                    condition=Q(provider_payment_id__isnull=False),
                                    name="payment_provider_payment_id_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0)
                                   & Q(refunded_amount__lte=models.F("amount")),
                                   name="payment_refunded_within_amount"),
        ]

    def __str__(self):
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount


class WebhookEvent(models.Model):
    """Every provider event we accepted, once: the unique `event_id` is what makes a redelivered
    webhook change nothing."""

    provider = models.CharField(max_length=10, choices=Provider.choices)
    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.provider} {self.type} {self.event_id}"


class RefundStatus(models.TextChoices):
    PENDING_APPROVAL = "PENDING_APPROVAL", "Waiting for approval"
    APPROVED = "APPROVED", "Approved"
    PENDING = "PENDING", "Pending"  # to be sent to the provider
    PROCESSING = "PROCESSING", "Processing"  # sent; the provider has not confirmed it yet
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"
    REJECTED = "REJECTED", "Rejected"


class RefundSource(models.TextChoices):
    SELF_SERVICE = "SELF_SERVICE", "Self-service"
    SUPPORT = "SUPPORT", "Support"
    SYSTEM = "SYSTEM", "System"


# The moves a refund makes (E8-F3). PROCESSING -> PROCESSING is a retried task sending the same
# refund again (the provider deduplicates it by its idempotency key); FAILED -> PENDING is the
# admin's retry. A refund with nothing to send (nothing was paid, or a debt is reduced)
# completes at once.
REFUND_STATUS = StatusMachine("refund", {
    RefundStatus.PENDING_APPROVAL: {RefundStatus.APPROVED, RefundStatus.REJECTED},
    RefundStatus.APPROVED: {RefundStatus.PROCESSING, RefundStatus.COMPLETED},
    RefundStatus.PENDING: {RefundStatus.PROCESSING, RefundStatus.COMPLETED},
    RefundStatus.PROCESSING: {RefundStatus.PROCESSING, RefundStatus.COMPLETED,
                              RefundStatus.FAILED},
    RefundStatus.FAILED: {RefundStatus.PENDING},
    RefundStatus.COMPLETED: set(),
    RefundStatus.REJECTED: set(),
})
# Statuses whose amount is spoken for: what a payment may still refund leaves them out.
REFUND_LIVE = (RefundStatus.PENDING_APPROVAL, RefundStatus.APPROVED, RefundStatus.PENDING,
               RefundStatus.PROCESSING, RefundStatus.COMPLETED)
# Statuses a worker sends to the provider from.
REFUND_SENDABLE = (RefundStatus.APPROVED, RefundStatus.PENDING, RefundStatus.PROCESSING)


class Refund(models.Model):
    """Money given back (E8-F3): one row per refund of an order, or of some of its tickets
    (the tickets point at it), or of a payment that bought nothing (a late payment). Like a
    payment it knows what it refunds only by `reference` ("order:42"). It gives money back to
    `payment`, or reduces `debt` for tickets never paid, or nothing (a free ticket)."""

    reference = models.CharField(max_length=100, db_index=True,
                                 help_text='What is refunded, e.g. "order:42".')
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="refunds")
    debt = models.ForeignKey("payments.Debt", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    fee_retained = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default=CURRENCY)
    source = models.CharField(max_length=12, choices=RefundSource.choices)
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=RefundStatus.choices,
                              default=RefundStatus.PENDING, db_index=True)
    provider_refund_id = models.CharField(max_length=255, null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="Raised by each retry of a failed refund; part of its key")
    failure_message = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider_refund_id"],
                                    condition=Q(provider_refund_id__isnull=False),
                                    name="refund_provider_refund_id_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(fee_retained__gte=0),
                                   name="refund_amounts_not_negative"),
        ]

    def __str__(self):
        return f"Refund {self.pk} of {self.reference}: {self.amount} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"refund:{self.pk}:{self.attempt}"


class DebtStatus(models.TextChoices):
    OPEN = "OPEN"  # tickets issued, money still owed
    SETTLED = "SETTLED"
    WRITTEN_OFF = "WRITTEN_OFF"
    CREDITED = "CREDITED"  # every ticket it was for was refunded: nothing is owed


class Debt(models.Model):
    """Money owed for tickets issued with deferred payment (a quota with `deferred_payment`),
    recorded against the debtor for a later payment offer (E8, e-računi). One per reference."""

    debtor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="debts")
    reference = models.CharField(max_length=100, unique=True,
                                 help_text='What is owed for, e.g. "claim:7".')
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    credited_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"),
        help_text="Taken off by refunds of its tickets; what is owed is amount - credited")
    currency = models.CharField(max_length=3, default=CURRENCY)
    status = models.CharField(max_length=11, choices=DebtStatus.choices,
                              default=DebtStatus.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(
            condition=Q(credited_amount__gte=0) & Q(credited_amount__lte=models.F("amount")),
            name="debt_credited_within_amount")]

    def __str__(self):
        return f"{self.debtor_id} owes {self.amount} {self.currency} for {self.reference}"

    @property
    def owed_amount(self) -> Decimal:
        return self.amount - self.credited_amount
