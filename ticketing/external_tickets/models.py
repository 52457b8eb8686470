from django.conf import settings
from django.core.files.storage import storages
from django.db import models

from seating.models import Match
from ticketing.models import Ticket


def private_storage():
    return storages["private"]


def _pdf_path(instance, filename: str) -> str:
    return f"external-tickets/{instance.ticket.match_id}/{instance.ticket_id}.pdf"


class ExternalTicketPdf(models.Model):
    """The host's PDF for one of our tickets: stored privately, fetched only by the ticket's
    buyer (the API) or its holder (a signed link in their email)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="external_pdf")
    file = models.FileField(upload_to=_pdf_path, storage=private_storage)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    matched_by = models.CharField(max_length=10, help_text="NAME or SEAT")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    emailed_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket_id"]

    def __str__(self):
        return f"PDF for ticket {self.ticket_id} ({self.original_name})"


class PdfUpload(models.Model):
    """One upload of a match's PDFs: what matched, and what the admin still has to place."""

    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="pdf_uploads")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    files = models.PositiveIntegerField()
    matched = models.PositiveIntegerField()
    unmatched = models.JSONField(default=list, help_text="[{file, reason}]")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.files} PDF(s) for match {self.match_id}: {self.matched} matched"
