"""After-sale records: a fan's cancellation request (E9-F8) and the transfer log (E9-F5)."""

from django.conf import settings
from django.db import models

from core.pii import EncryptedTextField, mask
from ticketing.models import Order, Ticket


class CancellationStatus(models.TextChoices):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"  # tickets cancelled, the refund on its way
    COMPLETED = "COMPLETED"  # the refund completed
    FAILED = "FAILED"  # the refund failed; support retries it (payments admin)


class CancellationRequest(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="cancellations")
    ticket_ids = models.JSONField()
    reason = models.CharField(max_length=500, blank=True)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2)
    refund = models.OneToOneField("payments.Refund", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    initiated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    status = models.CharField(max_length=10, choices=CancellationStatus.choices,
                              default=CancellationStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Cancellation {self.pk} of order {self.order_id} ({self.status})"


class TransferType(models.TextChoices):
    SELF_SERVICE = "SELF_SERVICE"
    SUPPORT = "SUPPORT"


class TransferLog(models.Model):
    """One transfer of a ticket to a new holder: both holders, their OIBs encrypted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="transfers")
    from_barcode = models.CharField(max_length=18, blank=True, db_index=True,
                                    help_text="The code it had before: gates name a transfer")
    from_holder_name = models.CharField(max_length=201)
    from_holder_oib = EncryptedTextField(blank=True, default="")
    to_holder_name = models.CharField(max_length=201)
    to_holder_oib = EncryptedTextField(blank=True, default="")
    to_holder_email = models.EmailField(blank=True)
    transfer_type = models.CharField(max_length=12, choices=TransferType.choices)
    initiated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    transferred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-transferred_at", "-id"]
        indexes = [models.Index(fields=["ticket"], name="transferlog_ticket")]

    def __str__(self):
        return f"Ticket {self.ticket_id}: {self.from_holder_name} → {self.to_holder_name}"

    @property
    def from_holder_oib_masked(self) -> str:
        return mask(self.from_holder_oib)

    @property
    def to_holder_oib_masked(self) -> str:
        return mask(self.to_holder_oib)


class MatchCancellationStatus(models.TextChoices):
    REQUESTED = "REQUESTED"  # a Match Manager asked; a Super Admin decides
    RUNNING = "RUNNING"  # the match is cancelled; its orders are being refunded
    COMPLETED = "COMPLETED"  # every ticket cancelled, every refund asked for
    REJECTED = "REJECTED"


class MatchCancellation(models.Model):
    """The cancellation of a match (E2-F7) and its progress: the job that cancels its tickets
    and refunds its orders counts here what it has done, so the report is a read."""

    match = models.OneToOneField("seating.Match", on_delete=models.PROTECT,
                                 related_name="cancellation")
    status = models.CharField(max_length=9, choices=MatchCancellationStatus.choices,
                              default=MatchCancellationStatus.REQUESTED)
    reason = models.CharField(max_length=500)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    orders_total = models.PositiveIntegerField(default=0, help_text="Orders with valid tickets")
    orders_done = models.PositiveIntegerField(default=0)
    tickets_cancelled = models.PositiveIntegerField(default=0)
    notifications_sent = models.PositiveIntegerField(default=0, help_text="Emails and pushes")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Cancellation of match {self.match_id} ({self.status})"


class MatchUpdateNotice(models.Model):
    """One person to tell about one change to a match (E2-F6): written once per change and
    email (unique), marked sent in the same transaction that writes the email and push, so a
    retried or restarted fan-out tells each person once."""

    log = models.ForeignKey("seating.MatchAuditLog", on_delete=models.CASCADE,
                            related_name="notices")
    email = models.EmailField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             help_text="The buyer, who also gets a push")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["log", "email"],
                                               name="match_update_notice_once")]
        indexes = [models.Index(fields=["log", "sent_at"], name="match_notice_log_sent")]

    def __str__(self):
        return f"{self.email} about change {self.log_id}"
