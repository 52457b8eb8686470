"""Debtors, payment offers and e-računi documents in Django Admin. Debtors are edited here;
offers and documents change only through the services (actions below)."""

from django import forms
from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceActions
from core.oib import oib_is_valid
from core.roles import Role, user_has_role
from ticketing.invoicing.models import Debtor, EracuniDocument, PaymentOffer, PaymentOfferOrder
from ticketing.invoicing.services import offers
from ticketing.invoicing.services.documents import document_send_task


class DebtorForm(forms.ModelForm):
    class Meta:
        model = Debtor
        fields = ("account", "name", "oib", "address", "email", "payment_terms_days")

    def clean_oib(self):
        oib = self.cleaned_data["oib"].strip()
        if not oib_is_valid(oib):
            raise forms.ValidationError("This is not a valid OIB (11 digits, ISO 7064 check).")
        return oib


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin):
    form = DebtorForm
    list_display = ("name", "oib", "email", "payment_terms_days", "account")
    search_fields = ("name", "=oib", "email")
    autocomplete_fields = ("account",)


class OfferLineInline(ReadOnlyInline):
    model = PaymentOfferOrder
    fields = ("order", "amount", "open")


class DocumentInline(ReadOnlyInline):
    model = EracuniDocument
    fk_name = "payment_offer"
    fields = ("document_type", "status", "e_racuni_number", "fiscalization_id", "public_url",
              "last_error")


@admin.register(PaymentOffer)
class PaymentOfferAdmin(ServiceActions, ReadOnlyAdmin):
    list_display = ("id", "debtor", "status", "total_amount", "due_date", "created_at",
                    "sent_at", "paid_at")
    list_filter = ("status",)
    search_fields = ("debtor__name", "=debtor__oib")
    list_select_related = ("debtor",)
    inlines = [OfferLineInline, DocumentInline]
    actions = ["mark_paid", "cancel"]
    service_id_kw = "offer_id"

    def has_finance_permission(self, request):
        return user_has_role(request.user, Role.FINANCE)

    @admin.action(description="Mark the selected offers paid", permissions=["finance"])
    def mark_paid(self, request, queryset):
        self.each_through(request, queryset, offers.offer_mark_paid, "paid, debts settled")

    @admin.action(description="Cancel the selected offers", permissions=["finance"])
    def cancel(self, request, queryset):
        self.each_through(request, queryset, offers.offer_cancel, "cancelled",
                   reason=f"Cancelled by {request.user} in Django Admin")


@admin.register(EracuniDocument)
class EracuniDocumentAdmin(ReadOnlyAdmin):
    list_display = ("id", "document_type", "local_reference", "status", "amount",
                    "e_racuni_number", "fiscalization_id", "attempts", "created_at")
    list_filter = ("document_type", "status")
    search_fields = ("=local_reference", "=e_racuni_number", "=order__number")
    exclude = ("buyer_tax_number",)  # an OIB: not shown
    actions = ["send_again"]

    def has_finance_permission(self, request):
        return user_has_role(request.user, Role.FINANCE)

    @admin.action(description="Send the selected DRAFT documents to e-računi again",
                  permissions=["finance"])
    def send_again(self, request, queryset):
        ids = list(queryset.filter(status="DRAFT").values_list("pk", flat=True))
        for pk in ids:
            document_send_task.delay(pk)
        self.message_user(request, f"{len(ids)} document(s) queued for e-računi.")
