from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceActions
from core.errors import DomainError
from core.roles import Role, user_has_role
from payments.models import Payment, Refund, WebhookEvent
from payments.refunds import payment_refund, refund_approve, refund_reject, refund_retry


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = readonly_fields = ("created_at", "reference", "amount", "fee_retained", "source",
                                "status", "provider_refund_id", "reason", "failure_message")


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
class RefundAdmin(ServiceActions, ReadOnlyAdmin):
    """Every refund, failed ones first to see: filter by status FAILED and retry them. Refunds
    waiting for approval are approved or rejected here (by someone other than who asked)."""

    list_display = ("id", "created_at", "reference", "amount", "fee_retained", "source",
                    "status", "failure_message", "provider_refund_id", "requested_by",
                    "approved_by")
    list_filter = ("status", "source", "created_at")
    search_fields = ("reference", "provider_refund_id", "payment__reference")
    list_select_related = ("payment", "requested_by", "approved_by")
    date_hierarchy = "created_at"
    actions = ["retry", "approve", "reject"]
    service_id_kw = "refund_id"

    def has_refund_permission(self, request):
        return user_has_role(request.user, Role.SUPERVISOR)

    @admin.action(description="Retry the selected failed refunds", permissions=["refund"])
    def retry(self, request, queryset):
        self.each_through(request, queryset, refund_retry, "sent again")

    @admin.action(description="Approve the selected refunds", permissions=["refund"])
    def approve(self, request, queryset):
        self.each_through(request, queryset, refund_approve, "approved")

    @admin.action(description="Reject the selected refunds", permissions=["refund"])
    def reject(self, request, queryset):
        self.each_through(request, queryset, refund_reject, "rejected",
                   reason=f"rejected by {request.user}")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "provider", "type", "event_id", "processed_at")
    list_filter = ("provider", "type")
    search_fields = ("event_id",)
