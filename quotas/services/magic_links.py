"""Magic links (E7-F1): an invitation's one-click sign-in to the portal.

A link carries a random token; only its SHA-256 is stored (`MagicLink.token_hash`), so neither
the database, the email log nor the admin holds a working link. It signs its email in while:
- that email is still the quota's recipient, and the quota is neither cancelled nor retracted
  (closing a quota also revokes its links: `quota_transition`);
- QUOTA_MAGIC_LINK_DAYS have not passed, and it was used fewer than QUOTA_MAGIC_LINK_MAX_USES
  times (a use is counted by one conditional UPDATE, so concurrent clicks cannot pass the
  limit);
- the email's account is not a back-office one: staff sign in with their own password, and
  the portal's session is portal-only anyway (quotas.middleware)."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.errors import DomainError, Forbidden
from core.roles import is_back_office
from quotas.models import MagicLink, Quota
from quotas.services.common import CLOSED_STATUSES, recipient_account, recipient_user

TOKEN_BYTES = 32


class LinkGone(DomainError):
    """A real link that no longer works (HTTP 410): expired, used up, revoked, re-addressed."""

    status_code = 410
    code = "magic_link_gone"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def magic_link_issue(*, quota: Quota) -> str:
    """A new sign-in link for the quota's current recipient: the full URL, the only place the
    token ever appears."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    MagicLink.objects.create(
        quota=quota, email=quota.recipient_email.lower(), token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.QUOTA_MAGIC_LINK_DAYS),
        max_uses=settings.QUOTA_MAGIC_LINK_MAX_USES)
    return settings.SITE_URL.rstrip("/") + reverse("portal:magic", kwargs={"token": token})


def _refusal(link: MagicLink, now: datetime) -> LinkGone | None:
    """Why the link no longer works, or None while it does."""
    quota = link.quota
    if link.revoked_at or quota.status in CLOSED_STATUSES:
        return LinkGone("These tickets were cancelled or taken back, so this invitation's link "
                        "no longer works. Ask the sender if you think this is a mistake.",
                        code="magic_link_revoked")
    if quota.recipient_email.lower() != link.email:
        return LinkGone("These tickets are now addressed to someone else, so this link no "
                        "longer works. Ask the sender for a new invitation.",
                        code="magic_link_wrong_recipient")
    if link.expires_at <= now:
        return LinkGone(f"This sign-in link expired on "
                        f"{timezone.localtime(link.expires_at):%d.%m.%Y}. Sign in with your "
                        "webshop account instead, or ask the sender for a new invitation.",
                        code="magic_link_expired")
    if link.uses >= link.max_uses:
        return LinkGone(f"This sign-in link has been used {link.max_uses} times, as often as "
                        "it may. Sign in with your webshop account instead, or ask the sender "
                        "for a new invitation.", code="magic_link_used_up")
    return None


def magic_link_redeem(*, token: str, request=None):
    """The account the link signs in (created if the recipient has none yet) and its quota;
    one use counted. Raises 400 for an unknown token, `LinkGone` (410) for one that no longer
    works and 403 `back_office_account` for a staff recipient (no use counted)."""
    link = (MagicLink.objects.select_related("quota").filter(token_hash=_hash(token)).first()
            if token else None)
    if link is None:
        raise DomainError("This sign-in link is not valid: open the whole link from the email, "
                          "or sign in with your webshop account.", code="magic_link_invalid")
    now = timezone.now()
    if refused := _refusal(link, now):
        raise refused
    account = recipient_account(link.email)
    if account is not None and is_back_office(account):
        audit_record(actor=None, action="quota.magic_link_refused_back_office", obj=link.quota,
                     after={"link_id": link.pk, "user_id": account.pk}, request=request)
        raise Forbidden("This invitation is addressed to a back-office account. A magic link "
                        "opens only the quota portal: sign in to the back office with your own "
                        "password.", code="back_office_account")
    with transaction.atomic():
        counted = MagicLink.objects.filter(
            pk=link.pk, revoked_at__isnull=True, expires_at__gt=now,
            uses__lt=F("max_uses")).update(uses=F("uses") + 1, last_used_at=now)
        if not counted:  # another click took the last use (or the quota closed) meanwhile
            link.refresh_from_db()
            raise _refusal(link, now) or LinkGone("This sign-in link has just been used up.",
                                                  code="magic_link_used_up")
        user = account or recipient_user(link.email)
        audit_record(actor=user, action="quota.magic_link_used", obj=link.quota,
                     after={"link_id": link.pk, "uses": link.uses + 1}, request=request)
    return user, link.quota
