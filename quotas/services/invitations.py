"""Invitations (E7-F1, E7-F6): an email with a magic link that opens the portal signed in as
the recipient, an app deeplink, and a push when the recipient already has the app.

Each invitation issues a new magic link (quotas.services.magic_links). The link is a private
variable of the email: it reaches the recipient's inbox, while the email log shows it redacted."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.notifications import TemplateKey, email_send, push_send
from quotas.models import Quota
from quotas.services.magic_links import magic_link_issue

PRIVATE = ("link",)


def app_link(quota: Quota) -> str:
    return f"{settings.APP_DEEPLINK_BASE}quotas/{quota.pk}"


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
        "link": magic_link_issue(quota=quota), "app_link": app_link(quota)}, private=PRIVATE)
    _push_if_registered(quota, title="Your tickets are waiting",
                        body=f"{quota.quantity} ticket(s) for {_match_name(quota)}.")
    Quota.objects.filter(pk=quota.pk).update(invitation_sent_at=timezone.now())


def subquota_invite(*, subquota: Quota, sender_name: str) -> None:
    email_send(template_key=TemplateKey.SUBQUOTA_INVITATION, to=subquota.recipient_email,
               variables={"sender": sender_name, "quantity": subquota.quantity,
                          "match": _match_name(subquota),
                          "link": magic_link_issue(quota=subquota),
                          "app_link": app_link(subquota)}, private=PRIVATE)
    _push_if_registered(subquota, title=f"{sender_name} sent you tickets",
                        body=f"{subquota.quantity} ticket(s) for {_match_name(subquota)}.")
    Quota.objects.filter(pk=subquota.pk).update(invitation_sent_at=timezone.now())


def _push_if_registered(quota: Quota, *, title: str, body: str) -> None:
    user = get_user_model().objects.filter(email__iexact=quota.recipient_email).first()
    if user is None:
        return
    push_send(user=user, notification_type="quota_invitation", title=title, body=body,
              data={"quota_id": str(quota.pk), "deeplink": app_link(quota)})
