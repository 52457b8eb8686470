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
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    CANCELED = "CANCELED", "Canceled"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    provider_refund_id = models.CharField(max_length=255, unique=True)
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=RefundStatus.choices,
                              default=RefundStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.provider_refund_id} {self.amount} ({self.status})"


class DebtStatus(models.TextChoices):
    OPEN = "OPEN"  # tickets issued, money still owed
    SETTLED = "SETTLED"
    WRITTEN_OFF = "WRITTEN_OFF"


class Debt(models.Model):
    """Money owed for tickets issued with deferred payment (a quota with `deferred_payment`),
    recorded against the debtor for a later payment offer (E8, e-računi). One per reference."""

    debtor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="debts")
    reference = models.CharField(max_length=100, unique=True,
                                 help_text='What is owed for, e.g. "claim:7".')
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=CURRENCY)
    status = models.CharField(max_length=11, choices=DebtStatus.choices,
                              default=DebtStatus.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.debtor_id} owes {self.amount} {self.currency} for {self.reference}"
