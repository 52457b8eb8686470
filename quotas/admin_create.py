"""Creating one quota from Django Admin: a form over the same `quota_create` the API uses
(seats allocated at once), with the duplicate warning and the allocation's warnings shown as
messages. Kept apart from admin.py, which holds the list, import, cancel and masquerade."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core.bounds import NOTE_MAX_LENGTH
from core.errors import DomainError
from quotas.services.creation import OPEN_MATCH_STATUSES, QuotaRequest, quota_create
from seating.models import Match, MatchSector, MatchSectorStatus
from seating.services.allocation import Algorithm


class QuotaCreateForm(forms.Form):
    match = forms.ModelChoiceField(Match.objects.filter(is_deleted=False,
                                                        status__in=OPEN_MATCH_STATUSES)
                                   .order_by("kick_off_time"))
    recipient_email = forms.EmailField()
    recipient_name = forms.CharField(required=False, max_length=200)
    sectors = forms.ModelMultipleChoiceField(
        MatchSector.objects.filter(status=MatchSectorStatus.ACTIVE,
                                   match__status__in=OPEN_MATCH_STATUSES)
        .select_related("match").order_by("match__kick_off_time", "display_order", "code"),
        required=False, widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="Sectors of the chosen match, in order of preference (none: any sector).")
    quantity = forms.IntegerField(min_value=1)
    discount_code = forms.CharField(required=False, max_length=20,
                                    help_text="GR = complimentary (100 %)")
    discount_percent = forms.DecimalField(required=False, min_value=0, max_value=100,
                                          decimal_places=2)
    algorithm = forms.ChoiceField(choices=Algorithm.choices, initial=Algorithm.NM)
    expires_at = forms.DateTimeField(required=False, help_text="A reminder for the holder: "
                                     "nothing expires (YYYY-MM-DD HH:MM)")
    can_create_subquotas = forms.BooleanField(required=False)
    deferred_payment = forms.BooleanField(required=False)
    transfer_allowed = forms.BooleanField(required=False)
    auto_send_email = forms.BooleanField(required=False, initial=True)
    internal_note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH,
                                    widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        match, sectors = data.get("match"), data.get("sectors") or []
        wrong = [s.code for s in sectors if match and s.match_id != match.pk]
        if wrong:
            self.add_error("sectors", f"Not sectors of the chosen match: {', '.join(wrong)}.")
        return data

    def quota_request(self) -> QuotaRequest:
        data = dict(self.cleaned_data)
        match, sectors = data.pop("match"), data.pop("sectors")
        return QuotaRequest(match_id=match.pk, sector_ids=[s.pk for s in sectors], **data)


def quota_add_view(model_admin, request):
    form = QuotaCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = quota_create(actor=request.user, request=form.quota_request(),
                                   http_request=request)
        except DomainError as exc:
            for field, errors in (exc.fields or {"__all__": [exc.detail]}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            quota = created.quota
            model_admin.message_user(request, f"Quota {quota.pk}: {quota.quantity} seat(s) "
                                              f"allocated for {quota.recipient_email}.",
                                     messages.SUCCESS)
            for warning in created.warnings:
                model_admin.message_user(request, warning, messages.WARNING)
            if created.duplicates:
                model_admin.message_user(
                    request, f"{quota.recipient_email} already has quota(s) "
                             f"{', '.join(map(str, created.duplicates))} for this match: check "
                             "this is not a mistake.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:quotas_quota_change", args=[quota.pk]))
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts,
               "title": "Create a quota", "form": form}
    return TemplateResponse(request, "admin/quotas/quota/create.html", context)
