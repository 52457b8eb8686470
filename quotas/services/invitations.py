"""Invitations (E7-F1, E7-F6): an email with a magic link that opens the portal signed in as
the recipient, an app deeplink, and a push when the recipient already has the app.

The magic link is a signed, timestamped token naming the quota and the recipient's email
(`django.core.signing`, QUOTA_MAGIC_LINK_DAYS valid); it is worthless for any other email."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from core.notifications import TemplateKey, email_send, push_send
from quotas.models import Quota

MAGIC_SALT = "quotas.magic-link"


def magic_token(quota: Quota) -> str:
    return signing.dumps({"q": quota.pk, "e": quota.recipient_email.lower()}, salt=MAGIC_SALT,
                         compress=True)


def magic_token_read(token: str) -> tuple[int, str] | None:
    """(quota id, email) of a valid, unexpired token, else None."""
    try:
        data = signing.loads(token, salt=MAGIC_SALT,
                             max_age=settings.QUOTA_MAGIC_LINK_DAYS * 86400)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return int(data["q"]), str(data["e"])


def magic_link(quota: Quota) -> str:
    path = reverse("portal:magic", kwargs={"token": magic_token(quota)})
    return settings.SITE_URL.rstrip("/") + path


def app_link(quota: Quota) -> str:
    return f"{settings.APP_DEEPLINK_BASE}quotas/{quota.pk}"


def recipient_user(email: str):
    """The account of an email, created (no password; SSO or magic link only) if none yet."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    return user or User.objects.create_user(email=email)


def _match_name(quota: Quota) -> str:
    return f"{quota.match.home_team} v {quota.match.away_team}"


def quota_invite(*, quota: Quota) -> None:
    """The invitation email (and a push if the recipient has the app); logged now, delivered
    after commit."""
    email_send(template_key=TemplateKey.QUOTA_INVITATION, to=quota.recipient_email, variables={
        "name": quota.recipient_name or quota.recipient_email, "quantity": quota.quantity,
        "match": _match_name(quota),
        "expires_at": (timezone.localtime(quota.expires_at).strftime("%d.%m.%Y %H:%M")
                       if quota.expires_at else "the match"),
        "link": magic_link(quota), "app_link": app_link(quota)})
    _push_if_registered(quota, title="Your tickets are waiting",
                        body=f"{quota.quantity} ticket(s) for {_match_name(quota)}.")
    Quota.objects.filter(pk=quota.pk).update(invitation_sent_at=timezone.now())


def subquota_invite(*, subquota: Quota, sender_name: str) -> None:
    email_send(template_key=TemplateKey.SUBQUOTA_INVITATION, to=subquota.recipient_email,
               variables={"sender": sender_name, "quantity": subquota.quantity,
                          "match": _match_name(subquota), "link": magic_link(subquota),
                          "app_link": app_link(subquota)})
    _push_if_registered(subquota, title=f"{sender_name} sent you tickets",
                        body=f"{subquota.quantity} ticket(s) for {_match_name(subquota)}.")
    Quota.objects.filter(pk=subquota.pk).update(invitation_sent_at=timezone.now())


def _push_if_registered(quota: Quota, *, title: str, body: str) -> None:
    user = get_user_model().objects.filter(email__iexact=quota.recipient_email).first()
    if user is None:
        return
    push_send(user=user, notification_type="quota_invitation", title=title, body=body,
              data={"quota_id": str(quota.pk), "deeplink": app_link(quota)})
