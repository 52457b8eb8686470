from django.contrib import admin

from core.admin import ReadOnlyAdmin
from ticketing.external_tickets.models import ExternalTicketPdf, PdfUpload


@admin.register(PdfUpload)
class PdfUploadAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "match", "files", "matched", "uploaded_by")
    list_select_related = ("match", "uploaded_by")
    readonly_fields = ("unmatched",)


@admin.register(ExternalTicketPdf)
class ExternalTicketPdfAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "original_name", "matched_by", "uploaded_at", "emailed_to",
                    "emailed_at")
    list_filter = ("matched_by",)
    search_fields = ("=ticket__barcode", "original_name", "emailed_to")
    exclude = ("file",)  # never a public link: the buyer and holder fetch it through the app
