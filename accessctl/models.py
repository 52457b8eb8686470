"""Access control (E11): the list of people banned from buying tickets, its audit log and
import batches, and the log of the attempts it blocked. OIBs are stored like a profile's:
Fernet ciphertext plus a keyed hash, which is the only thing ever filtered on."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.pii import EncryptedTextField, mask


class BlacklistSource(models.TextChoices):
    MUP_COURT_BAN = "MUP_COURT_BAN", "MUP court ban"
    CLUB_BAN = "CLUB_BAN", "Club ban"
    MANUAL = "MANUAL", "Manual"


class BlacklistStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


class BlacklistImportBatch(models.Model):
    """One uploaded file (E11-F2): its totals and the lines it refused, with why."""

    file_name = models.CharField(max_length=255)
    total_rows = models.PositiveIntegerField(default=0)
    successful_rows = models.PositiveIntegerField(default=0)
    failed_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    error_report_json = models.JSONField(default=list, blank=True,
                                         help_text='[{"line": 3, "field": "oib", "error": …}]')
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "blacklist import batches"
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({self.successful_rows}/{self.total_rows})"


class BlacklistEntry(models.Model):
    """One person on the list, once (the OIB is unique): it blocks while ACTIVE and today lies
    in [valid_from, valid_until]; an empty valid_until means indefinitely. A REMOVED entry is
    restored rather than listed again, so its history stays in one place."""

    oib = EncryptedTextField()
    oib_hash = models.CharField(max_length=64, unique=True, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, db_index=True)
    date_of_birth = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=BlacklistStatus.choices,
                              default=BlacklistStatus.ACTIVE, editable=False, db_index=True)
    reason = models.TextField()
    source = models.CharField(max_length=20, choices=BlacklistSource.choices)
    notes = models.TextField(blank=True)
    valid_from = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True, help_text="Empty = indefinitely.")
    import_batch = models.ForeignKey(BlacklistImportBatch, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="entries",
                                     editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    removal_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "blacklist entries"
        ordering = ["last_name", "first_name", "id"]
        constraints = [
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

    @property
    def is_active(self) -> bool:
        return self.status == BlacklistStatus.ACTIVE


class BlacklistAction(models.TextChoices):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    REMOVE = "REMOVE"
    RESTORE = "RESTORE"
    DELETE = "DELETE"  # the entry's data, kept here before it is deleted for good


class BlacklistAuditLog(models.Model):
    """Every change to an entry, with the fields before and after (OIBs masked). The rows
    outlive the entry: a hard delete leaves its last copy here."""

    entry = models.ForeignKey(BlacklistEntry, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="audit_logs")
    entry_ref = models.PositiveBigIntegerField(help_text="The entry's id, kept after deletion")
    action = models.CharField(max_length=10, choices=BlacklistAction.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changes_json = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} of entry #{self.entry_ref}"


class ViolationAction(models.TextChoices):
    PURCHASE_ATTEMPT = "PURCHASE_ATTEMPT"
    TRANSFER_ATTEMPT = "TRANSFER_ATTEMPT"
    QUOTA_CLAIM_ATTEMPT = "QUOTA_CLAIM_ATTEMPT"
    PETROL_PIN_ATTEMPT = "PETROL_PIN_ATTEMPT"
    QUEUE_JOIN_ATTEMPT = "QUEUE_JOIN_ATTEMPT"
    CHECK = "CHECK"  # an internal caller asked and got "blacklisted"


class BlacklistViolation(models.Model):
    """An attempt refused because a person on the list was in it (E11-F3)."""

    blocked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action_type = models.CharField(max_length=20, choices=ViolationAction.choices,
                                   db_index=True)
    entry = models.ForeignKey(BlacklistEntry, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="violations")
    oib_hash = models.CharField(max_length=64, db_index=True)
    oib_masked = models.CharField(max_length=11, help_text="Only the last 4 digits are kept.")
    match = models.ForeignKey("seating.Match", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    session_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Order/cart id, …")

    class Meta:
        ordering = ["-blocked_at", "-id"]
        indexes = [models.Index(fields=["match", "blocked_at"], name="violation_match_time")]

    def __str__(self):
        return (f"{self.action_type} blocked for {self.oib_masked} "
                f"at {self.blocked_at:%Y-%m-%d %H:%M}")
