from django.contrib import admin

from core.admin import ReadOnlyAdmin
from ticketing.aftersale.models import CancellationRequest, TransferLog


@admin.register(CancellationRequest)
class CancellationRequestAdmin(ReadOnlyAdmin):
    """Fans' cancellations; a FAILED one's refund is retried from the refunds list."""

    list_display = ("id", "created_at", "order", "ticket_ids", "refund_amount", "status",
                    "refund", "initiated_by")
    list_filter = ("status", "created_at")
    search_fields = ("order__number", "initiated_by__email")
    list_select_related = ("order", "refund", "initiated_by")


@admin.register(TransferLog)
class TransferLogAdmin(ReadOnlyAdmin):
    """Who a ticket went to; OIBs are shown masked only."""

    list_display = ("transferred_at", "ticket", "from_holder_name", "from_holder_oib_masked",
                    "to_holder_name", "to_holder_oib_masked", "to_holder_email",
                    "transfer_type", "initiated_by")
    fields = readonly_fields = (*list_display, "reason")
    list_filter = ("transfer_type", "transferred_at")
    search_fields = ("ticket__barcode", "from_holder_name", "to_holder_name", "to_holder_email")
    list_select_related = ("ticket", "initiated_by")
