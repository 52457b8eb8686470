"""Access control (E11): the list of people banned from buying tickets, and the log of the
purchases it blocked. OIBs are stored like a profile's: Fernet ciphertext plus a keyed hash,
which is the only thing ever filtered on."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.pii import EncryptedTextField, mask


class BlacklistSource(models.TextChoices):
    MUP_COURT_BAN = "MUP_COURT_BAN", "MUP court ban"
    CLUB_BAN = "CLUB_BAN", "Club ban"
    MANUAL = "MANUAL", "Manual"


class BlacklistEntry(models.Model):
    """One ban. It blocks while active and today lies in [valid_from, valid_until]; an empty
    valid_until means indefinitely. Entries are deactivated, never deleted: the blocked
    attempts point at them."""

    oib = EncryptedTextField()
    oib_hash = models.CharField(max_length=64, db_index=True, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, db_index=True)
    reason = models.TextField()
    source = models.CharField(max_length=20, choices=BlacklistSource.choices)
    valid_from = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True, help_text="Empty = indefinitely.")
    is_active = models.BooleanField(default=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    deactivated_at = models.DateTimeField(null=True, blank=True, editable=False)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    deactivation_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "blacklist entries"
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            # Also the index the holder check uses (it only ever looks at active entries).
            models.UniqueConstraint(
                fields=["oib_hash"], condition=Q(is_active=True),
                name="blacklist_entry_oib_unique_active",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="blacklist_entry_valid_range",
                violation_error_message="“Valid until” cannot be before “valid from”.",
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.oib_masked})"

    @property
    def oib_masked(self) -> str:
        return mask(self.oib)


class BlacklistCheckAttempt(models.Model):
    """A purchase, quota claim or petrol sale refused because a holder is on the blacklist."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    entry = models.ForeignKey(BlacklistEntry, on_delete=models.PROTECT, related_name="attempts")
    oib_masked = models.CharField(max_length=11, help_text="Only the last 4 digits are kept.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    context = models.CharField(max_length=30, db_index=True,
                               help_text="checkout, quota_claim, petrol, …")
    reference = models.CharField(max_length=100, blank=True, help_text="Order/cart id, …")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.context} blocked for {self.oib_masked} at {self.created_at:%Y-%m-%d %H:%M}"
