"""Support's requests and prints in Django Admin (E10). Transfer requests are approved or
rejected by any Support Agent or Supervisor, refund requests by a Supervisor; both through
ticketing.support.services. The emergency print itself is on the ticket's page (TicketAdmin)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from core.admin import ReadOnlyAdmin, ServiceActions
from core.errors import DomainError
from core.roles import Role, user_has_role
from ticketing.models import Ticket
from ticketing.support.models import (
    IdentityDocument,
    PrintLog,
    SupportRefundRequest,
    SupportTransferRequest,
)
from ticketing.support.services import prints, refunds, transfers


class _Decided(ServiceActions, ReadOnlyAdmin):
    """Requests decided from the list by an action, one service call per request."""

    deciders: tuple[str, ...] = ()
    service_id_kw = "request_id"

    def has_decide_permission(self, request):
        return user_has_role(request.user, *self.deciders)



@admin.register(SupportTransferRequest)
class SupportTransferRequestAdmin(_Decided):
    deciders = (Role.SUPPORT_AGENT, Role.SUPERVISOR)
    list_display = ("id", "ticket", "status", "requested_by_name", "new_holder_name",
                    "new_holder_oib_masked", "agent", "created_at")
    list_filter = ("status",)
    search_fields = ("=ticket__barcode", "requested_by_name", "new_holder_last_name")
    list_select_related = ("ticket", "agent")
    exclude = ("new_holder_oib_encrypted", "new_holder_passport_encrypted")
    readonly_fields = ("new_holder_oib_masked",)
    actions = ["approve", "reject"]

    @admin.action(description="Approve and transfer the selected requests",
                  permissions=["decide"])
    def approve(self, request, queryset):
        self.each_through(request, queryset, transfers.transfer_request_approve, "transferred",
                   http_request=request)

    @admin.action(description="Reject the selected requests", permissions=["decide"])
    def reject(self, request, queryset):
        self.each_through(request, queryset, transfers.transfer_request_reject, "rejected",
                   note=f"Rejected by {request.user} in Django Admin")


@admin.register(SupportRefundRequest)
class SupportRefundRequestAdmin(_Decided):
    deciders = (Role.SUPERVISOR,)
    list_display = ("id", "order", "status", "amount", "within_cutoff", "requester_name",
                    "identity_document", "agent", "decided_by", "created_at")
    list_filter = ("status", "within_cutoff")
    search_fields = ("=order__number", "requester_name", "requester_email")
    list_select_related = ("order", "agent", "decided_by")
    actions = ["approve", "reject"]

    @admin.action(description="Approve and refund the selected requests",
                  permissions=["decide"])
    def approve(self, request, queryset):
        self.each_through(request, queryset, refunds.refund_request_approve,
                          "approved and refunded")

    @admin.action(description="Reject the selected requests", permissions=["decide"])
    def reject(self, request, queryset):
        self.each_through(request, queryset, refunds.refund_request_reject, "rejected",
                   note=f"Rejected by {request.user} in Django Admin")


@admin.register(PrintLog)
class PrintLogAdmin(ReadOnlyAdmin):
    list_display = ("printed_at", "ticket", "agent", "reason", "verification_document_type",
                    "print_location")
    list_filter = ("verification_document_type",)
    search_fields = ("=ticket__barcode", "agent__email", "print_location")
    list_select_related = ("ticket", "agent")


class PrintForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="e.g. phone lost, battery dead")
    identity_verified = forms.BooleanField(
        label="I have checked the fan's identity document")
    document_type = forms.ChoiceField(choices=IdentityDocument.choices)
    location = forms.CharField(max_length=100, help_text="e.g. Gate 3 ticket office")


def ticket_print_view(model_admin, request, ticket_id: int):
    """The emergency print of a ticket: the form, with a warning when it was printed before;
    a valid form logs the print and downloads the PDF."""
    if not user_has_role(request.user, Role.SUPPORT_AGENT, Role.SUPERVISOR):
        raise PermissionDenied
    ticket = get_object_or_404(Ticket.objects.select_related("match"), pk=ticket_id)
    form = PrintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            printed = prints.ticket_print(agent=request.user, ticket_id=ticket.pk,
                                          **form.cleaned_data)
        except DomainError as exc:
            model_admin.message_user(request, exc.detail, messages.ERROR)
        else:
            response = HttpResponse(printed.pdf, content_type="application/pdf")
            response["Content-Disposition"] = (
                f'attachment; filename="ticket-{ticket.pk}-reprint.pdf"')
            return response
    earlier = prints.ticket_prints(ticket.pk)
    return TemplateResponse(request, "admin/ticketing/ticket/print.html", {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "title": f"Emergency print of ticket {ticket.pk}", "ticket": ticket, "form": form,
        "earlier": earlier, "warning": prints.print_warning(earlier)})
