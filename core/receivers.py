"""Audit events for what Django itself does: staff signing in (or failing to), and the admin's
own change history (LogEntry), mirrored into the append-only audit table, where it outlives the
LogEntry rows that are deleted with their user. Connected in CoreConfig.ready."""

import functools

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry, LogEntryManager
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache

from core.audit import audit_record
from core.outages import unless_redis_down

ADMIN_HISTORY_ACTIONS = {ADDITION: "admin.addition", CHANGE: "admin.change",
                         DELETION: "admin.deletion"}


def _through_view(request) -> bool:
    """A sign-in a person made through a page, not django-hijack logging the admin back in at
    the end of a masquerade (masquerade.ended records that) nor a test client's force_login."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace != "hijack"


def admin_login_audit(sender, request, user, **kwargs) -> None:
    """user_logged_in: a staff account signed in."""
    if user.is_staff and _through_view(request):
        audit_record(actor=user, action="admin.login", obj=user, request=request,
                     after={"email": user.email})


def admin_login_failed_audit(sender, credentials, request=None, **kwargs) -> None:
    """user_login_failed: a wrong password (or a locked-out attempt) for a staff account.
    Attempts at names that are no staff account stay in django-axes' own log."""
    User = get_user_model()
    username = str(credentials.get("username") or credentials.get(User.USERNAME_FIELD) or "")
    user = User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username},
                               is_staff=True).first() if username else None
    if user is None:
        return
    # At most one event per account per cool-off: guesses at a known staff email must not grow
    # the append-only table at an attacker's pace (django-axes keeps every attempt itself).
    cooloff = int(settings.AXES_COOLOFF_TIME.total_seconds())
    with unless_redis_down("the failed-login audit guard"):
        if not cache.add(f"audit:login-failed:{user.pk}", 1, timeout=cooloff):
            return
    audit_record(actor=None, action="admin.login_failed", obj=user, request=request,
                 after={"email": user.email,
                        "locked_out": bool(getattr(request, "axes_locked_out", False))})


def admin_history_audit(entries: list[LogEntry]) -> None:
    users = get_user_model().objects.in_bulk({entry.user_id for entry in entries})
    for entry in entries:
        content_type = (ContentType.objects.get_for_id(entry.content_type_id)
                        if entry.content_type_id else None)
        audit_record(
            actor=users.get(entry.user_id), action=ADMIN_HISTORY_ACTIONS[entry.action_flag],
            object_type=(f"{content_type.app_label}.{content_type.model}" if content_type
                         else ""),
            object_id=str(entry.object_id or "")[:64],
            after={"log_entry_id": entry.pk, "object": entry.object_repr,
                   "change": entry.get_change_message()})


def admin_history_mirror() -> None:
    """Audit every LogEntry the admin writes. The admin writes them all through
    `LogEntry.objects.log_actions`, which bulk-creates the rows of a multi-row deletion, so no
    post_save would see those: the method itself is wrapped (once)."""
    original = LogEntryManager.log_actions
    if getattr(original, "audited", False):
        return

    @functools.wraps(original)
    def log_actions(self, *args, **kwargs):
        written = original(self, *args, **kwargs)
        admin_history_audit([written] if isinstance(written, LogEntry) else list(written))
        return written

    log_actions.audited = True
    LogEntryManager.log_actions = log_actions
