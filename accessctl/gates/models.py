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
    assigned_ticket = models.OneToOneField("ticketing.Ticket", null=True, blank=True,
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
