"""Quotas (E7): tickets set aside for a VIP, sponsor or partner, claimed through the portal or
the app in three steps, and delegated one level down as subquotas.

- `Quota` is both a quota (no parent) and a subquota (`parent` set): a sub-recipient claims
  through exactly the same steps, so one model keeps one code path. Roots and subquotas have
  their own status machines (quotas.services.status).
- `QuotaSeat` is one seat (or, for a non-numbered match, one standing place) allocated to a root
  quota. It never changes quota; delegating it sets `subquota`, retracting clears it again.
- `QuotaClaim` is a claim cart: the seats a holder selected, their ticket holders, the amounts
  and the payment, until it completes (an order with tickets) or lapses (seats back to ALLOCATED).

Status moves only through `quotas.services`. Hold owners in the seat inventory: `quota:<root id>`
for ALLOCATED seats, `claim:<id>` while a claim holds them RESERVED."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.pii import EncryptedTextField
from seating.models import GeneralAdmissionHold, Match, MatchSector, SeatInventory

MONEY = {"max_digits": 12, "decimal_places": 2}


class QuotaStatus(models.TextChoices):
    # roots
    ACTIVE = "ACTIVE"
    FULLY_CLAIMED = "FULLY_CLAIMED"
    # subquotas: ALLOCATED (nothing claimed) -> RESERVED (claim under way / part claimed) -> SOLD
    ALLOCATED = "ALLOCATED"
    RESERVED = "RESERVED"
    SOLD = "SOLD"
    RETRACTED = "RETRACTED"
    # both
    CANCELLED = "CANCELLED"


class QuotaType(models.TextChoices):
    STANDARD = "STANDARD", "Sponsor / VIP quota"
    PETROL = "PETROL", "Petrol-station sales"  # E12-F4: made and changed only by quotas.petrol


class CancellationType(models.TextChoices):
    ALL_UNUSED = "ALL_UNUSED", "All unused (allocated and reserved)"
    UNFULFILLED_ONLY = "UNFULFILLED_ONLY", "Unfulfilled only (allocated)"


class ImportBatch(models.Model):
    """One CSV import (E7-F2/F3): its counts and the per-line error report."""

    file_name = models.CharField(max_length=255)
    match_ids = models.JSONField(default=list)
    total_rows = models.PositiveIntegerField(default=0)
    successful_rows = models.PositiveIntegerField(default=0)
    failed_rows = models.PositiveIntegerField(default=0)
    quotas_created = models.PositiveIntegerField(default=0)
    error_report = models.JSONField(default=list, blank=True,
                                    help_text='[{"line": 3, "field": "email", "error": "…"}]')
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    # sha256 of the file and its match ids: the same upload twice imports once (unless the
    # admin asks to repeat it, which stores no fingerprint).
    fingerprint = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                   editable=False)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self):
        return f"Import {self.pk}: {self.file_name} ({self.successful_rows}/{self.total_rows})"


class Quota(models.Model):
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="quotas")
    quota_type = models.CharField(max_length=8, choices=QuotaType.choices,
                                  default=QuotaType.STANDARD)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="subquotas", help_text="Set on a subquota")
    recipient_email = models.EmailField()
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="quotas",
                                       help_text="Linked once the recipient has an account")
    internal_note = models.TextField(blank=True)
    sectors = models.ManyToManyField(MatchSector, blank=True, related_name="quotas")
    quantity = models.PositiveIntegerField()
    discount_code = models.CharField(max_length=20, blank=True,
                                     help_text="GR = complimentary (100 %)")
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    algorithm = models.CharField(max_length=5, default="NM",
                                 choices=[("NM", "Best available (NM)"),
                                          ("REDOM", "Sequential (REDOM)")])
    expires_at = models.DateTimeField(null=True, blank=True,
                                      help_text="A reminder for the holder; nothing expires")
    can_create_subquotas = models.BooleanField(default=False)
    deferred_payment = models.BooleanField(default=False)
    transfer_allowed = models.BooleanField(default=False)
    auto_send_email = models.BooleanField(default=True)
    status = models.CharField(max_length=13, choices=QuotaStatus.choices)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="quotas")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    cancellation_type = models.CharField(max_length=16, choices=CancellationType.choices,
                                         blank=True)
    retracted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["match"], name="quota_one_live_petrol_per_match",
                condition=Q(quota_type="PETROL", parent__isnull=True) & ~Q(status="CANCELLED")),
        ]
        indexes = [
            models.Index(fields=["match", "status"], name="quota_match_status"),
            models.Index(fields=["recipient_email"], name="quota_recipient_email"),
            models.Index(fields=["parent"], name="quota_parent"),
        ]

    def __str__(self):
        kind = "Subquota" if self.parent_id else "Quota"
        return f"{kind} {self.pk}: {self.quantity} for {self.recipient_email}"

    @property
    def is_subquota(self) -> bool:
        return self.parent_id is not None

    @property
    def root_id(self) -> int:
        return self.parent_id or self.pk

    @property
    def is_petrol(self) -> bool:
        return self.quota_type == QuotaType.PETROL

    @property
    def is_free(self) -> bool:
        return self.discount_percent >= 100

    @property
    def hold_owner(self) -> str:
        return f"quota:{self.root_id}"


class MagicLink(models.Model):
    """An invitation's sign-in link to the portal (quotas.services.magic_links). Only the
    SHA-256 of its token is stored: the token itself is in the email alone. It opens the quota
    only for the email it was sent to, while that email is still the quota's recipient, for
    QUOTA_MAGIC_LINK_DAYS and at most `max_uses` times."""

    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="magic_links")
    email = models.EmailField(help_text="The recipient it was sent to")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveSmallIntegerField()
    uses = models.PositiveSmallIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Set when the quota is cancelled or retracted")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(uses__lte=models.F("max_uses")),
                                              name="magic_link_uses_within_max")]

    def __str__(self):
        return f"Magic link {self.pk} of quota {self.quota_id} for {self.email}"


class QuotaSeatStatus(models.TextChoices):
    ALLOCATED = "ALLOCATED"
    RESERVED = "RESERVED"  # a claim has its ticket holders and holds it until paid
    SOLD = "SOLD"
    CANCELLED = "CANCELLED"


class QuotaSeat(models.Model):
    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="seats",
                              help_text="The root quota it was allocated to")
    subquota = models.ForeignKey(Quota, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="delegated_seats")
    match_sector = models.ForeignKey(MatchSector, on_delete=models.PROTECT, related_name="+")
    inventory = models.ForeignKey(SeatInventory, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="quota_seats")
    ga_hold = models.ForeignKey(GeneralAdmissionHold, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="quota_seats")
    status = models.CharField(max_length=9, choices=QuotaSeatStatus.choices,
                              default=QuotaSeatStatus.ALLOCATED)
    claim = models.ForeignKey("QuotaClaim", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="seats", help_text="The claim that selected it")
    ticket = models.OneToOneField("ticketing.Ticket", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="quota_seat")
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["match_sector_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inventory"], condition=~Q(status="CANCELLED"),
                                    name="quota_seat_one_live_row_per_seat"),
            models.CheckConstraint(condition=Q(inventory__isnull=True) | Q(ga_hold__isnull=True),
                                   name="quota_seat_seat_or_standing"),
        ]
        indexes = [
            models.Index(fields=["quota", "status"], name="quota_seat_quota_status"),
            models.Index(fields=["subquota", "status"], name="quota_seat_subquota_status"),
        ]

    def __str__(self):
        return f"Quota seat {self.pk} of {self.quota_id} ({self.status})"


class ClaimStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"
    ABANDONED = "ABANDONED"


class ClaimStep(models.TextChoices):
    SEATS_SELECTED = "SEATS_SELECTED"  # step 1 done
    HOLDERS_SAVED = "HOLDERS_SAVED"  # step 2 done: seats RESERVED, amounts known
    PAYMENT_STARTED = "PAYMENT_STARTED"  # step 3 under way
    DONE = "DONE"


class ClaimPaymentStatus(models.TextChoices):
    PENDING = "PENDING"
    FAILED = "FAILED"  # the last attempt failed; the holder may pay again while the claim lasts
    PAID = "PAID"
    FREE = "FREE"
    DEFERRED = "DEFERRED"


CLAIM_REFERENCE_PREFIX = "claim:"  # a claim's payment reference: "claim:<id>"


class QuotaClaim(models.Model):
    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="claims",
                              help_text="The quota or subquota being claimed")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="quota_claims")
    status = models.CharField(max_length=9, choices=ClaimStatus.choices,
                              default=ClaimStatus.ACTIVE)
    step = models.CharField(max_length=15, choices=ClaimStep.choices,
                            default=ClaimStep.SEATS_SELECTED)
    quantity = models.PositiveIntegerField()
    # The ticket holders as JSON, encrypted (they carry OIBs and passport numbers).
    holders = EncryptedTextField(blank=True, default="")
    ticket_amount = models.DecimalField(null=True, blank=True, **MONEY)
    ticket_vat_amount = models.DecimalField(null=True, blank=True, **MONEY)
    fee_amount = models.DecimalField(null=True, blank=True, **MONEY)
    fee_vat_amount = models.DecimalField(null=True, blank=True, **MONEY)
    total_amount = models.DecimalField(null=True, blank=True, **MONEY)
    payment_status = models.CharField(max_length=8, choices=ClaimPaymentStatus.choices,
                                      blank=True)
    payment_attempt = models.PositiveSmallIntegerField(default=1)
    order = models.OneToOneField("ticketing.Order", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="quota_claim")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="claim_status_expiry"),
                   models.Index(fields=["quota", "status"], name="claim_quota_status")]

    def __str__(self):
        return f"Claim {self.pk} of quota {self.quota_id} ({self.status})"

    @property
    def hold_owner(self) -> str:
        return f"claim:{self.pk}"

    @property
    def payment_reference(self) -> str:
        return f"{CLAIM_REFERENCE_PREFIX}{self.pk}"

    @property
    def payment_idempotency_key(self) -> str:
        return f"claim:{self.pk}:{self.payment_attempt}"
