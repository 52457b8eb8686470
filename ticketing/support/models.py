"""What support does on a caller's behalf (E10): a transfer request, a refund request, and the
log of emergency reprints. Each names the agent; OIBs are encrypted."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.pii import EncryptedTextField, mask
from core.status import StatusMachine
from ticketing.models import Order, Ticket


class IdentityDocument(models.TextChoices):
    """How the agent checked who the caller is."""

    ID_CARD = "ID_CARD", "Identity card"
    PASSPORT = "PASSPORT", "Passport"
    DRIVING_LICENCE = "DRIVING_LICENCE", "Driving licence"
    ORDER_DETAILS = "ORDER_DETAILS", "Order details and payment card (by phone)"


class TransferRequestStatus(models.TextChoices):
    PENDING = "PENDING"
    APPROVED = "APPROVED"  # the transfer runs in the same transaction, then COMPLETED
    REJECTED = "REJECTED"
    COMPLETED = "COMPLETED"


TRANSFER_REQUEST_STATUS = StatusMachine("support transfer request", {
    TransferRequestStatus.PENDING: {TransferRequestStatus.APPROVED,
                                    TransferRequestStatus.REJECTED},
    TransferRequestStatus.APPROVED: {TransferRequestStatus.COMPLETED},
})


class SupportTransferRequest(models.Model):
    """A caller asks support to give a ticket to someone else (E10-F2)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT,
                               related_name="support_transfers")
    barcode_at_request = models.CharField(
        max_length=18, blank=True, help_text="Approval is refused if the ticket changed since")
    requested_by_name = models.CharField(max_length=201, help_text="Who asked")
    requested_by_contact = models.CharField(max_length=254,
                                            help_text="How to reach them: phone or email")
    new_holder_first_name = models.CharField(max_length=100)
    new_holder_last_name = models.CharField(max_length=100)
    new_holder_date_of_birth = models.DateField()
    new_holder_nationality = models.CharField(max_length=2)
    new_holder_oib_encrypted = EncryptedTextField(blank=True, default="")
    new_holder_passport_encrypted = EncryptedTextField(blank=True, default="")
    new_holder_email = models.EmailField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=9, choices=TransferRequestStatus.choices,
                              default=TransferRequestStatus.PENDING, db_index=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", help_text="The agent who took the request")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decision_note = models.CharField(max_length=500, blank=True)
    transfer = models.OneToOneField("aftersale.TransferLog", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["ticket"], condition=Q(status="PENDING"),
                                               name="support_transfer_one_pending")]

    def __str__(self):
        return f"Transfer request {self.pk} of ticket {self.ticket_id} ({self.status})"

    @property
    def new_holder_name(self) -> str:
        return f"{self.new_holder_first_name} {self.new_holder_last_name}"

    @property
    def new_holder_oib_masked(self) -> str:
        return mask(self.new_holder_oib_encrypted)

    def new_holder(self) -> dict:
        """The holder as the transfer service takes it (typed in by the agent)."""
        return {"first_name": self.new_holder_first_name,
                "last_name": self.new_holder_last_name,
                "date_of_birth": self.new_holder_date_of_birth.isoformat(),
                "nationality": self.new_holder_nationality,
                "oib": self.new_holder_oib_encrypted,
                "passport_number": self.new_holder_passport_encrypted,
                "email": self.new_holder_email}


class RefundRequestStatus(models.TextChoices):
    PROCESSED = "PROCESSED"  # refunded at once: no approval needed
    PENDING_APPROVAL = "PENDING_APPROVAL"  # within 48 hours and high value: a Supervisor decides
    APPROVED = "APPROVED"  # and refunded
    REJECTED = "REJECTED"


REFUND_REQUEST_STATUS = StatusMachine("support refund request", {
    RefundRequestStatus.PENDING_APPROVAL: {RefundRequestStatus.APPROVED,
                                           RefundRequestStatus.REJECTED},
})


class SupportRefundRequest(models.Model):
    """The purchaser asks support for their money back (E10-F3). Its tickets stay valid until
    the refund is made: a rejected request leaves the fan's tickets as they were."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT,
                              related_name="support_refund_requests")
    ticket_ids = models.JSONField(null=True, blank=True,
                                  help_text="The tickets to refund; empty: every valid one")
    amount = models.DecimalField(max_digits=12, decimal_places=2,
                                 help_text="What the refund gives back, as quoted")
    reason = models.CharField(max_length=255, blank=True)
    within_cutoff = models.BooleanField(help_text="Asked within 48 hours of kick-off")
    requester_name = models.CharField(max_length=201)
    requester_email = models.EmailField(blank=True)
    requester_oib_masked = models.CharField(max_length=11, blank=True)
    identity_document = models.CharField(max_length=16, choices=IdentityDocument.choices)
    status = models.CharField(max_length=16, choices=RefundRequestStatus.choices, db_index=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", help_text="The agent who checked the caller")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decision_note = models.CharField(max_length=500, blank=True)
    refund = models.OneToOneField("payments.Refund", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["order"], condition=Q(status="PENDING_APPROVAL"),
            name="support_refund_one_pending")]

    def __str__(self):
        return f"Refund request {self.pk} of order {self.order_id} ({self.status})"


class PrintLog(models.Model):
    """One emergency reprint of a ticket (E10-F4)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="prints")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.CharField(max_length=255)
    identity_verified = models.BooleanField()
    verification_document_type = models.CharField(max_length=16,
                                                  choices=IdentityDocument.choices)
    print_location = models.CharField(max_length=100)
    printed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-printed_at", "-id"]
        indexes = [models.Index(fields=["ticket", "printed_at"], name="printlog_ticket"),
                   models.Index(fields=["agent"], name="printlog_agent")]

    def __str__(self):
        return f"Print of ticket {self.ticket_id} by {self.agent_id} at {self.printed_at}"
