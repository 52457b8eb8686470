"""Fan accounts: syncing the local user from the webshop's SSO claims, and API sessions
(login, refresh with rotation and reuse detection, logout)."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, Forbidden, Unauthenticated
from core.locks import lock_first
from core.models import PushToken
from core.roles import is_back_office
from ticketing.models import ApiSession, User, UserStatus
from ticketing.sso import sso_token_verify
from ticketing.tokens import (
    access_token_issue,
    refresh_token_hash,
    refresh_token_new,
    refresh_token_session_id,
)

# Drupal keeps a user's status as 1 (active) or 0 (blocked); some exports use words.
DRUPAL_STATUS = {
    "1": UserStatus.ACTIVE, "active": UserStatus.ACTIVE,
    "0": UserStatus.SUSPENDED, "blocked": UserStatus.SUSPENDED,
    "suspended": UserStatus.SUSPENDED, "inactive": UserStatus.INACTIVE,
}


@dataclass(frozen=True)
class IssuedTokens:
    session: ApiSession
    access_token: str
    refresh_token: str


def status_from_drupal(value) -> str:
    return DRUPAL_STATUS.get(str(value).strip().lower(), UserStatus.ACTIVE) \
        if value is not None else UserStatus.ACTIVE


class _BackOfficeAccount(Exception):
    def __init__(self, user: User):
        self.user = user


def user_sync_from_sso(*, claims: dict, request=None) -> User:
    """Create the local user on first login; afterwards keep email and status in step. A
    webshop identity never reaches a back-office account (403 `back_office_account`): the
    webshop vouches for an email, not for the federation's staff."""
    drupal_id, email = str(claims["sub"]), claims["email"].strip().lower()
    status = status_from_drupal(claims.get("status"))
    try:
        return _user_upsert_once(drupal_id=drupal_id, email=email, status=status,
                                 request=request)
    except _BackOfficeAccount as refused:
        audit_record(actor=None, action="user.sso_refused_back_office", obj=refused.user,
                     after={"email": email, "drupal_user_id": drupal_id}, request=request)
        raise Forbidden("This is a back-office account: sign in to the back office with its own "
                        "password, not with the webshop.", code="back_office_account") from None


def _user_upsert_once(*, drupal_id: str, email: str, status: str, request) -> User:
    try:
        with transaction.atomic():
            return _user_upsert(drupal_id=drupal_id, email=email, status=status, request=request)
    except IntegrityError:
        # A concurrent first login created the row, or the email belongs to another account.
        with transaction.atomic():
            if User.objects.filter(drupal_user_id=drupal_id).exists():
                return _user_upsert(drupal_id=drupal_id, email=email, status=status,
                                    request=request)
        raise Conflict("This email address already belongs to another ticketing account; "
                       "please contact support.", code="email_taken") from None


def _user_upsert(*, drupal_id: str, email: str, status: str, request) -> User:
    user = lock_first(User.objects.filter(drupal_user_id=drupal_id))
    if user is None:
        # An imported account (a quota recipient's) with this email and no webshop link yet.
        user = lock_first(User.objects.filter(email=email, drupal_user_id__isnull=True))
    if user is not None and is_back_office(user):
        raise _BackOfficeAccount(user)
    if user is None:
        user = User.objects.create_user(email=email, drupal_user_id=drupal_id, status=status)
        audit_record(actor=user, action="user.created_from_sso", obj=user,
                     after={"email": email, "status": status}, request=request)
        return user
    before = {"email": user.email, "status": user.status, "drupal_user_id": user.drupal_user_id}
    after = {"email": email, "status": status, "drupal_user_id": drupal_id}
    if before != after:
        user.email, user.status, user.drupal_user_id = email, status, drupal_id
        user.save(update_fields=["email", "status", "drupal_user_id", "updated_at"])
        audit_record(actor=user, action="user.synced_from_sso", obj=user, before=before,
                     after=after, request=request)
    return user


def session_login(*, drupal_token: str, device_id: str, request=None) -> IssuedTokens:
    claims = sso_token_verify(drupal_token)
    user = user_sync_from_sso(claims=claims, request=request)
    if not user.is_active:
        raise Forbidden(f"This account is {user.status.lower()}; please contact support.",
                        code="account_not_active")
    session_id = uuid.uuid4()
    refresh, refresh_hash = refresh_token_new(session_id)
    now = timezone.now()
    session = ApiSession.objects.create(
        id=session_id, user=user, refresh_token_hash=refresh_hash, device_id=device_id,
        expires_at=now + settings.REFRESH_TOKEN_LIFETIME, last_used_at=now,
    )
    access = access_token_issue(user_id=user.pk, session_id=session.id)
    return IssuedTokens(session, access, refresh)


def session_refresh(*, refresh_token: str, request=None) -> IssuedTokens:
    """Rotate the refresh token. Presenting one that was already rotated means it leaked:
    the whole session is revoked and both the thief and the owner must sign in again."""
    session_id = refresh_token_session_id(refresh_token)
    reused = False
    with transaction.atomic():
        session = (lock_first(ApiSession.objects.select_related("user").filter(pk=session_id))
                   if session_id else None)
        if session is None or session.revoked_at or session.expires_at <= timezone.now():
            raise Unauthenticated("This session has ended; please sign in again.",
                                  code="refresh_token_invalid", field="refresh_token")
        if not session.user.is_active:
            raise Forbidden("This account is not active; please contact support.",
                            code="account_not_active")
        if session.refresh_token_hash != refresh_token_hash(refresh_token):
            _session_revoke(session, reason="refresh_token_reuse")
            audit_record(actor=session.user, action="session.revoked_token_reuse", obj=session,
                         request=request)
            reused = True
        else:
            refresh, new_hash = refresh_token_new(session.id)
            now = timezone.now()
            session.refresh_token_hash = new_hash
            session.expires_at = now + settings.REFRESH_TOKEN_LIFETIME
            session.last_used_at = now
            session.save(update_fields=["refresh_token_hash", "expires_at", "last_used_at"])
    if reused:  # raised outside the transaction so the revocation is committed
        raise Unauthenticated(
            "This refresh token was already used, so the session has been ended for safety; "
            "please sign in again.", code="refresh_token_reused", field="refresh_token")
    return IssuedTokens(session, access_token_issue(user_id=session.user_id,
                                                    session_id=session.id), refresh)


def session_logout(*, session: ApiSession) -> None:
    with transaction.atomic():
        _session_revoke(session, reason="logout")
        if session.device_id:  # a signed-out device should stop receiving pushes
            PushToken.objects.filter(user_id=session.user_id, device_id=session.device_id) \
                .update(is_active=False)


def _session_revoke(session: ApiSession, *, reason: str) -> None:
    session.revoked_at = timezone.now()
    session.revoke_reason = reason
    session.save(update_fields=["revoked_at", "revoke_reason"])
