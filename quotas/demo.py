"""Demo quotas (idempotent), so the portal can be tried from the run command: a free (GR) VIP
quota that may send tickets on, a paid sponsor quota, a deferred-payment partner quota on the
numbered home match, and a paid quota on the standing away match."""

from datetime import timedelta

from django.utils import timezone

from quotas.models import Quota
from quotas.services.creation import QuotaRequest, quota_create
from seating.models import Match

DEMO_QUOTAS = [
    # (email, name, numbered match?, quantity, extra fields)
    ("vip@demo.hns.hr", "Demo VIP", True, 6, {"discount_code": "GR",
                                                "can_create_subquotas": True,
                                                "transfer_allowed": True}),
    ("sponsor@demo.hns.hr", "Demo Sponsor", True, 4, {"discount_percent": 20}),
    ("partner@demo.hns.hr", "Demo Partner", True, 4, {"deferred_payment": True}),
    ("away@demo.hns.hr", "Demo Away Guest", False, 3, {}),
]


def seed_quotas(matches: list[Match]) -> list[Quota]:
    home = next((m for m in matches if m.is_numbered), None)
    away = next((m for m in matches if not m.is_numbered), None)
    quotas = []
    for email, name, numbered, quantity, extra in DEMO_QUOTAS:
        match = home if numbered else away
        if match is None:
            continue
        existing = Quota.objects.filter(match=match, recipient_email=email,
                                        parent__isnull=True).first()
        if existing is None:
            existing = quota_create(actor=None, request=QuotaRequest(
                recipient_email=email, recipient_name=name, quantity=quantity,
                match_id=match.pk, expires_at=timezone.now() + timedelta(days=10),
                auto_send_email=False, **extra)).quota
        quotas.append(existing)
    return quotas
