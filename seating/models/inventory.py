"""Per-match seat inventory: one row per seat per match, with an explicit status machine
(TRANSITIONS), an optimistic `version`, a hold (owner + expiry) and an audit row per change.
Non-numbered sectors sell by capacity through GeneralAdmissionHold rows instead."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from seating.models.matches import Match, MatchSector
from seating.models.venues import Seat


class SeatStatus(models.TextChoices):
    AVAILABLE = "AVAILABLE"
    RESERVED = "RESERVED"  # held in a cart / claim / petrol reservation until hold_expires_at
    SOLD = "SOLD"
    ALLOCATED = "ALLOCATED"  # set aside for a quota
    BLOCKED = "BLOCKED"
    TECHNICAL = "TECHNICAL"
    OFFICIAL = "OFFICIAL"
    MAINTENANCE = "MAINTENANCE"
    QUARANTINED = "QUARANTINED"
    INACTIVE = "INACTIVE"


S = SeatStatus
# Statuses an admin sets to take a seat out of sale; they move freely among themselves.
ADMIN_STATUSES = frozenset({S.BLOCKED, S.TECHNICAL, S.OFFICIAL, S.MAINTENANCE, S.QUARANTINED,
                            S.INACTIVE})

# The one place that says which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.AVAILABLE: frozenset({S.RESERVED, S.SOLD, S.ALLOCATED}) | ADMIN_STATUSES,
    S.RESERVED: frozenset({S.AVAILABLE, S.SOLD, S.ALLOCATED, S.BLOCKED}),
    S.ALLOCATED: frozenset({S.AVAILABLE, S.RESERVED, S.SOLD, S.BLOCKED}),
    S.SOLD: frozenset({S.AVAILABLE, S.BLOCKED}),
    **{status: frozenset({S.AVAILABLE} | (ADMIN_STATUSES - {status})) for status in ADMIN_STATUSES},
}

STATUS_COLORS: dict[str, str] = {
    S.AVAILABLE: "#2e9e44",
    S.RESERVED: "#f2b705",
    S.SOLD: "#d62828",
    S.ALLOCATED: "#1f6fd1",
    S.BLOCKED: "#555555",
    S.TECHNICAL: "#8d99ae",
    S.OFFICIAL: "#7b2cbf",
    S.MAINTENANCE: "#e76f00",
    S.QUARANTINED: "#00838f",
    S.INACTIVE: "#c9c9c9",
}


class SeatInventory(models.Model):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="inventory")
    match_sector = models.ForeignKey(MatchSector, on_delete=models.CASCADE,
                                     related_name="inventory")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="inventory")
    # Copied from the seat and the snake config so allocation reads one narrow table.
    row_label = models.CharField(max_length=10)
    seat_number = models.PositiveIntegerField()
    grid_row = models.PositiveIntegerField()
    grid_col = models.PositiveIntegerField()
    row_rank = models.PositiveIntegerField(help_text="0 = the sector's best row")
    block = models.PositiveSmallIntegerField(default=0, help_text="subsector index")
    status = models.CharField(max_length=11, choices=SeatStatus.choices,
                              default=SeatStatus.AVAILABLE)
    hold_owner = models.CharField(max_length=40, blank=True, default="")
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    release_to = models.CharField(max_length=11, choices=SeatStatus.choices,
                                  default=SeatStatus.AVAILABLE,
                                  help_text="status the seat returns to when its hold expires")
    version = models.PositiveIntegerField(default=1)
    last_modified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    last_modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "seat inventory"
        ordering = ["match_sector_id", "grid_row", "grid_col"]
        constraints = [models.UniqueConstraint(fields=["match", "seat"],
                                               name="inventory_one_row_per_match_seat")]
        indexes = [
            models.Index(fields=["match", "status"]),
            models.Index(fields=["match_sector", "row_rank"], condition=Q(status="AVAILABLE"),
                         name="inventory_available_by_rank"),
            models.Index(fields=["match_sector", "hold_expires_at"],
                         condition=Q(status="RESERVED"), name="inventory_expiring_holds"),
            models.Index(fields=["hold_owner"], condition=~Q(hold_owner=""),
                         name="inventory_by_hold_owner"),
        ]

    def __str__(self):
        return f"{self.match_sector.code} {self.row_label}-{self.seat_number}: {self.status}"


class SeatAuditLog(models.Model):
    """Append-only: on PostgreSQL a trigger rejects UPDATE, DELETE and (but for the table's
    owner) TRUNCATE (migration 0005). So the log outlives what it describes: the seat and the
    user are plain references that deleting a replaced stadium configuration or a user leaves
    alone (null=True only so that lists join them with LEFT JOIN and still show such rows)."""

    inventory = models.ForeignKey(SeatInventory, null=True, on_delete=models.DO_NOTHING,
                                  db_constraint=False, related_name="audit_logs")
    from_status = models.CharField(max_length=11, choices=SeatStatus.choices)
    to_status = models.CharField(max_length=11, choices=SeatStatus.choices)
    reason = models.CharField(max_length=200)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="+")
    hold_owner = models.CharField(max_length=40, blank=True)
    order_id = models.BigIntegerField(null=True, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.inventory_id}: {self.from_status} -> {self.to_status}"


class HoldStatus(models.TextChoices):
    HELD = "HELD"
    ALLOCATED = "ALLOCATED"
    SOLD = "SOLD"
    RELEASED = "RELEASED"


class GeneralAdmissionHold(models.Model):
    """Capacity taken in a non-numbered sector. HELD counts only until expires_at."""

    match_sector = models.ForeignKey(MatchSector, on_delete=models.CASCADE,
                                     related_name="ga_holds")
    quantity = models.PositiveIntegerField()
    owner = models.CharField(max_length=40, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=9, choices=HoldStatus.choices, default=HoldStatus.HELD)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["match_sector", "status"])]

    def __str__(self):
        return f"{self.quantity} in {self.match_sector_id} for {self.owner} ({self.status})"


class BulkStatusJob(models.Model):
    """A bulk seat-status change, processed in batches; clients poll `processed`/`total`."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        RUNNING = "RUNNING"
        DONE = "DONE"
        FAILED = "FAILED"

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="bulk_jobs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    target_status = models.CharField(max_length=11, choices=SeatStatus.choices)
    reason = models.CharField(max_length=200)
    selection_json = models.JSONField(default=dict)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    skipped_json = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Bulk {self.target_status} on match {self.match_id}: {self.processed}/{self.total}"
