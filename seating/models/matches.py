"""Matches, their sales phases, and each match's own stadium configuration: price categories
and match sectors (copied from a stadium template, imported from an earlier match, or created
inline for an away stadium)."""

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from seating.models.venues import Sector, Stadium


class MatchType(models.TextChoices):
    HOME = "HOME"
    AWAY = "AWAY"


class MatchStatus(models.TextChoices):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class ConfigStatus(models.TextChoices):
    DRAFT = "DRAFT"
    VALIDATED = "VALIDATED"
    LOCKED = "LOCKED"


class AttendanceMode(models.TextChoices):
    WITH_DATA = "WITH_DATA"
    WITHOUT_DATA = "WITHOUT_DATA"


class Match(models.Model):
    home_team = models.CharField(max_length=100)
    away_team = models.CharField(max_length=100)
    competition = models.CharField(max_length=120, blank=True)
    kick_off_time = models.DateTimeField(db_index=True)
    venue = models.ForeignKey(Stadium, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="matches")
    match_type = models.CharField(max_length=4, choices=MatchType.choices, db_index=True)
    is_numbered = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=MatchStatus.choices,
                              default=MatchStatus.DRAFT, db_index=True)
    stadium_config_status = models.CharField(max_length=9, choices=ConfigStatus.choices,
                                             default=ConfigStatus.DRAFT)
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2,
                                      default=Decimal(settings.DEFAULT_FEE_PERCENT))
    # Taken off every category price until the day before match day (Europe/Zagreb).
    presale_discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tickets_transferable = models.BooleanField(
        default=True, help_text="Whether shop tickets may be transferred to another holder")
    after_sale_cutoff_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="No transfers or cancellations this many hours before "
        "kick-off (empty: AFTER_SALE_CUTOFF_HOURS)")
    is_deleted = models.BooleanField(default=False, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    attendance_mode = models.CharField(max_length=12, choices=AttendanceMode.choices, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kick_off_time", "id"]
        verbose_name_plural = "matches"

    def __str__(self):
        return f"{self.home_team} v {self.away_team} ({self.kick_off_time:%Y-%m-%d})"


class PhaseType(models.TextChoices):
    LOYALTY = "LOYALTY"
    GENERAL_PUBLIC = "GENERAL_PUBLIC"
    QUOTA_ONLY = "QUOTA_ONLY"


class SalesPhase(models.Model):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="sales_phases")
    phase_type = models.CharField(max_length=14, choices=PhaseType.choices)
    name = models.CharField(max_length=100)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    eligibility_rules_json = models.JSONField(default=dict, blank=True)
    ticket_limit = models.PositiveSmallIntegerField(default=4)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["match_id", "start_at"]
        indexes = [models.Index(fields=["start_at", "end_at"])]

    def __str__(self):
        return f"{self.name} ({self.phase_type})"


class PriceCategory(models.Model):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="price_categories")
    name = models.CharField(max_length=60)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    color = models.CharField(max_length=7, default="#1f77b4")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["match_id", "-price"]
        constraints = [models.UniqueConstraint(fields=["match", "name"],
                                               name="price_category_unique_name_per_match")]

    def __str__(self):
        return f"{self.name} {self.price} {self.currency}"


class MatchSectorStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    MAINTENANCE = "MAINTENANCE"


class SectorPurpose(models.TextChoices):
    GENERAL = "GENERAL"
    AWAY_FANS = "AWAY_FANS"
    VIP = "VIP"
    PRESS = "PRESS"
    FREE = "FREE"


class MatchSector(models.Model):
    """A sector as configured for one match. Its row is also the lock that serialises every
    allocation in the sector (see seating.services.allocation)."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="sectors")
    sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="match_sectors")
    name = models.CharField(max_length=80)
    code = models.CharField(max_length=20)
    total_capacity = models.PositiveIntegerField()
    technical_seats = models.PositiveIntegerField(default=0)
    sellable_capacity = models.PositiveIntegerField()
    price_category = models.ForeignKey(PriceCategory, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="sectors")
    status = models.CharField(max_length=11, choices=MatchSectorStatus.choices,
                              default=MatchSectorStatus.ACTIVE)
    purpose = models.CharField(max_length=9, choices=SectorPurpose.choices,
                               default=SectorPurpose.GENERAL)
    is_numbered = models.BooleanField(default=True)
    has_seat_map = models.BooleanField(default=False)
    display_order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["match_id", "display_order", "code"]
        constraints = [models.UniqueConstraint(fields=["match", "code"],
                                               name="match_sector_code_unique_per_match")]

    def __str__(self):
        return f"{self.code} ({self.match_id})"


class MatchChangeType(models.TextChoices):
    UPDATE = "UPDATE"
    CANCEL = "CANCEL"
    RESCHEDULE = "RESCHEDULE"  # the kick-off moved
    PUBLISH = "PUBLISH"
    CLOSE = "CLOSE"


class NotificationPreference(models.TextChoices):
    NOTIFY = "notify"  # every ticket holder gets an email and a push
    SILENT = "silent"


class MatchAuditLog(models.Model):
    """Every change to a match (E2-F6), whatever the notification preference, and how far
    telling its ticket holders has got."""

    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="audit_logs")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    change_type = models.CharField(max_length=10, choices=MatchChangeType.choices)
    changes_json = models.JSONField(encoder=DjangoJSONEncoder,
                                    help_text="{field: [before, after]}")
    notification_preference = models.CharField(max_length=6,
                                               choices=NotificationPreference.choices,
                                               default=NotificationPreference.SILENT)
    notification_sent = models.BooleanField(default=False,
                                            help_text="Every holder has been told")
    recipients_total = models.PositiveIntegerField(default=0)
    recipients_notified = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.change_type} of match {self.match_id} at {self.created_at:%Y-%m-%d %H:%M}"
