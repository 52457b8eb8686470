"""Who did what to which object, with before/after values: one append-only row in the database
and one JSON line on the "audit" logger (ready to ship to Loki), written once the transaction
commits. OIBs are masked to their last 4 digits; passport numbers are dropped entirely."""

import json
import logging
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from core.models import AuditEvent
from core.net import client_ip
from core.pii import mask
from core.sql import insert_rows

audit_logger = logging.getLogger("audit")
_masquerader: ContextVar[str | None] = ContextVar("audit_masquerader", default=None)


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
    line = {
        "event": "audit",
        "id": event.pk,
        "at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor": event.actor_email,
        "impersonator": event.impersonator_email or None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "ip": ip,
    }
    transaction.on_commit(lambda: audit_logger.info(json.dumps(line, cls=DjangoJSONEncoder)))
    return event
