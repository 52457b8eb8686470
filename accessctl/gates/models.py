"""Access-control records (E2-F8, E2-F9, E13): the spare barcodes sent to the gates with a
match's export, each export, each attendance import with its unmatched codes."""

from django.conf import settings
from django.db import models

from seating.models import Match


class ExtraBarcode(models.Model):
    """A code the gates know before any ticket has it: a ticket issued (or re-coded by a
    transfer) after the export takes one, so it opens the gate without a new export."""

    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="extra_barcodes")
    barcode = models.CharField(max_length=18, unique=True)
    is_used = models.BooleanField(default=False)
    used_at = models.DateTimeField(null=True, blank=True)
    # A ForeignKey: a ticket re-coded again by a transfer has had more than one spare code.
    assigned_ticket = models.ForeignKey("ticketing.Ticket", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["match", "is_used"], name="extra_barcode_free")]

    def __str__(self):
        return f"{self.barcode} ({'used' if self.is_used else 'free'})"


class BarcodeExportLog(models.Model):
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=100)
    total_barcodes = models.PositiveIntegerField()
    extra_barcodes = models.PositiveIntegerField()
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    exported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-exported_at", "-id"]

    def __str__(self):
        return self.file_name


class AttendanceImport(models.Model):
    """A match's closure: the vendor's file and what it matched, or (no file) the reason."""

    match = models.OneToOneField(Match, on_delete=models.PROTECT, related_name="attendance")
    file_name = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=500, blank=True,
                              help_text="Why there is no attendance file")
    total_scanned = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return f"Attendance of match {self.match_id}: {self.matched_count} matched"


class UnmatchedReason(models.TextChoices):
    NOT_FOUND = "NOT_FOUND"
    ALREADY_CANCELLED = "ALREADY_CANCELLED"
    INVALID_FORMAT = "INVALID_FORMAT"


class AttendanceUnmatched(models.Model):
    attendance = models.ForeignKey(AttendanceImport, on_delete=models.CASCADE,
                                   related_name="unmatched")
    barcode = models.CharField(max_length=100)
    scan_timestamp = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=17, choices=UnmatchedReason.choices)

    def __str__(self):
        return f"{self.barcode}: {self.reason}"


class GateDevice(models.Model):
    """A scanner at a gate. It signs in with its own token (`Authorization: Device <token>`),
    never a person's; only the token's SHA-256 is kept."""

    name = models.CharField(max_length=100)
    gate = models.CharField(max_length=100, help_text='Where it stands, e.g. "Gate 3 North"')
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.gate})"

    @property
    def is_authenticated(self) -> bool:  # what DRF's permission checks ask of request.auth
        return True


class ScanResult(models.TextChoices):
    ACCEPTED = "ACCEPTED"
    REFUSED = "REFUSED"


class GateScan(models.Model):
    device = models.ForeignKey(GateDevice, on_delete=models.PROTECT, related_name="scans")
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey("ticketing.Ticket", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    scan_id = models.CharField(max_length=64, help_text="The device's own id for the scan: "
                               "a retry with the same id gets the same answer")
    code = models.CharField(max_length=100)
    result = models.CharField(max_length=8, choices=ScanResult.choices)
    reason = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=255)
    scanned_at = models.DateTimeField()

    class Meta:
        ordering = ["-scanned_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["device", "scan_id"],
                                               name="gate_scan_once_per_device")]
        indexes = [models.Index(fields=["ticket", "result"], name="gate_scan_ticket")]

    def __str__(self):
        return f"{self.code[:24]} at {self.device.gate}: {self.result}"
