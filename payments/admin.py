from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from payments.models import Payment, Refund, WebhookEvent
from payments.services import payment_refund


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = readonly_fields = ("created_at", "amount", "provider_refund_id", "status", "reason")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments change only through the provider's webhooks and the refund action (audited)."""

    list_display = ("id", "reference", "amount", "currency", "status", "refunded_amount",
                    "provider", "provider_payment_id", "created_at")
    list_filter = ("status", "provider", "created_at")
    search_fields = ("reference", "provider_payment_id", "idempotency_key")
    date_hierarchy = "created_at"
    exclude = ("client_secret",)
    inlines = [RefundInline]
    actions = ["refund_remaining"]

    @admin.action(description="Refund what is left of the selected payments")
    def refund_remaining(self, request, queryset):
        for payment in queryset:
            try:
                payment_refund(payment=payment, reason=f"admin refund by {request.user}",
                               actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{payment}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{payment}: refunded.", messages.SUCCESS)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "amount", "status", "provider_refund_id", "reason")
    list_filter = ("status", "created_at")
    search_fields = ("provider_refund_id", "payment__reference")
    list_select_related = ("payment",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "provider", "type", "event_id", "processed_at")
    list_filter = ("provider", "type")
    search_fields = ("event_id",)
