"""Who did what to which object, with before/after values: one append-only row in the database
and one JSON line on the "audit" logger, written once the transaction commits (and, with
LOKI_URL set, queued for Grafana Loki: core.loki). OIBs are masked to their last 4 digits;
passport numbers are dropped entirely. Each action belongs to one of the seed's 13 domains
(`audit_domain`), Loki's `domain` label."""

import json
import logging
from contextvars import ContextVar
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from core import loki
from core.models import AuditEvent
from core.net import client_ip
from core.pii import mask
from core.sql import insert_rows

audit_logger = logging.getLogger("audit")
_masquerader: ContextVar[str | None] = ContextVar("audit_masquerader", default=None)

# The seed's 13 audit domains and the actions each holds (shell-style patterns). The first
# domain with a matching pattern wins, so the exact names come before the prefixes they share
# (`tickets.sector_transfer` is a transfer, other `tickets.*` endings are orders). A support
# agent's requests are support actions; the refund or transfer they lead to is logged again,
# in its own domain, by the refund and transfer services.
AUDIT_DOMAINS: dict[str, tuple[str, ...]] = {
    "transfers": ("ticket.transferred", "tickets.sector_transfer", "transfer.*"),
    "prints": ("ticket.printed", "external_tickets.*"),
    "support": ("support.*", "support_*.*"),
    "seats": ("seat.*", "seats.*", "seat_map.*", "sector.*", "stadium.*", "snake_config.*"),
    "matches": ("match.*", "match_sector.*", "sales_phase.*", "price_category.*", "queue.*"),
    "quotas": ("quota.*", "quota_*.*", "subquota.*"),
    "orders": ("order.*", "cart.*", "tickets.*", "loyalty.*", "promo_code.*",
               "package.*"),
    "payments": ("payment.*", "payment_*.*", "debt.*", "eracuni.*"),
    "refunds": ("refund.*",),
    "blacklist": ("blacklist.*", "blacklist_*.*"),
    "violations": ("violation.*",),
    "petrol": ("petrol*.*",),
    # admin logins and masquerade, with the rest of who may do what: the admin's own change
    # history, SSO accounts, API sessions and the personal data on profiles
    "auth": ("admin.*", "masquerade.*", "session.*", "user.*", "profile.*", "saved_profile.*"),
}
UNKNOWN_DOMAIN = "other"  # an action no pattern names (tests/core/test_audit_domains.py)


@lru_cache(maxsize=1024)
def audit_domain(action: str) -> str:
    """Which of the 13 domains `action` belongs to."""
    for domain, patterns in AUDIT_DOMAINS.items():
        if any(fnmatchcase(action, pattern) for pattern in patterns):
            return domain
    return UNKNOWN_DOMAIN


class MasqueradeAuditMiddleware:
    """While an admin masquerades as a quota holder (django-hijack keeps the admin's id first in
    the session's `hijack_history`), every audit row of the request names the holder as actor and
    the admin as impersonator, also where a service does not pass the request along."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only sessions can masquerade; not touching the session otherwise keeps token-auth
        # API responses free of `Vary: Cookie`.
        history = (request.session.get("hijack_history")
                   if settings.SESSION_COOKIE_NAME in request.COOKIES else None)
        if not history:
            return self.get_response(request)
        token = _masquerader.set(history[0])
        try:
            return self.get_response(request)
        finally:
            _masquerader.reset(token)


def scrub(value: Any) -> Any:
    """Make a before/after payload safe to store and ship."""
    if isinstance(value, dict):
        clean = {}
        for key, item in value.items():
            name = str(key).lower()
            if "passport" in name:
                continue
            if "oib" in name and not name.endswith("_hash"):
                clean[key] = mask(str(item)) if item else item
            elif name.endswith("_hash"):
                continue
            else:
                clean[key] = scrub(item)
        return clean
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def snapshot(obj: models.Model, *fields: str) -> dict:
    """The named fields of `obj` (foreign keys as ids), for before/after payloads."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        data[name] = getattr(obj, field.attname)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _plain(value: Any) -> Any:
    """`value` as the database gives it back (JSON types only, keys as strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_line(event: AuditEvent) -> str:
    """The event's JSON line, made from the row alone with its keys sorted: a line made again
    from the database (`audit_requeue`) is byte for byte the one first shipped, and Loki drops
    the second copy as a duplicate."""
    return json.dumps({
        "event": "audit",
        "id": event.pk,
        "at": event.created_at.isoformat(),
        "domain": audit_domain(event.action),
        "actor_id": event.actor_id,
        "actor": event.actor_email,
        "impersonator": event.impersonator_email or None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": _plain(event.before),
        "after": _plain(event.after),
        "ip": event.ip_address,
    }, sort_keys=True)


def _emit(event_id: int, line: str) -> None:
    audit_logger.info(line)
    loki.buffer_push(line, event_id=event_id)


def request_client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300]


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    impersonator=None,
) -> AuditEvent:
    ip, user_agent = request_client(request)
    actor = actor if getattr(actor, "is_authenticated", False) else None
    if impersonator is None and request is not None:
        impersonator = getattr(request, "impersonator", None)
    if impersonator is None and _masquerader.get() is not None:
        impersonator = get_user_model().objects.filter(pk=_masquerader.get()).first()
    event = AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        impersonator=impersonator,
        impersonator_email=getattr(impersonator, "email", "") or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk if obj is not None else object_id),
        before=scrub(before),
        after=scrub(after),
        ip_address=ip,
        user_agent=user_agent,
    )
    insert_rows([event])  # plain SQL: several per sale, and objects.create cost far more
    line = audit_line(event)
    # robust: a log or buffer failure never fails what committed, nor the hooks after it
    transaction.on_commit(lambda: _emit(event.pk, line), robust=True)
    return event
