"""Matches (E2-F1) and their sales phases (E2-F2).

A match moves through MATCH_STATUS only, via `match_status_change`. Deleting a match is a
soft delete: the row stays (orders and audit point at it) but every lookup treats it as gone.
Sales phases of one match never overlap, and their eligibility rules must match the published
JSON Schema (seating/schemas/eligibility_rules.json)."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from jsonschema import Draft202012Validator

from core.audit import audit_record, snapshot
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.locks import lock_clause, lock_first, lock_wait
from core.status import StatusMachine
from seating.models import (
    Match,
    MatchAuditLog,
    MatchChangeType,
    MatchStatus,
    NotificationPreference,
    SalesPhase,
    Stadium,
)
from seating.schemas import schema_load
from seating.signals import match_changed

S = MatchStatus
# The one place that says which match status may follow which.
MATCH_STATUS = StatusMachine("match", {
    S.DRAFT: {S.PUBLISHED, S.CANCELLED},
    S.PUBLISHED: {S.ACTIVE, S.CANCELLED},
    S.ACTIVE: {S.CLOSED, S.CANCELLED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
})

MATCH_FIELDS = ("home_team", "away_team", "competition", "kick_off_time", "venue", "match_type",
                "is_numbered", "fee_percent")
AUDITED_MATCH = (*MATCH_FIELDS, "status", "stadium_config_status")
PHASE_FIELDS = ("phase_type", "name", "start_at", "end_at", "eligibility_rules_json",
                "ticket_limit", "is_active")
AUDITED_PHASE = ("match", *PHASE_FIELDS)


# --- Matches --------------------------------------------------------------------------------

def match_list(*, status: str | None = None, match_type: str | None = None) -> QuerySet[Match]:
    matches = Match.objects.filter(is_deleted=False).select_related("venue")
    if status:
        matches = matches.filter(status=status)
    if match_type:
        matches = matches.filter(match_type=match_type)
    return matches


def match_get(*, match_id: int, lock: bool = False) -> Match:
    """The match, unless it does not exist or was deleted (404); `lock` takes its row lock,
    which serialises every change to the match and its configuration."""
    matches = Match.objects.select_related("venue").filter(pk=match_id, is_deleted=False)
    match = lock_first(matches) if lock else matches.first()
    if match is None:
        raise NotFound(f"There is no match {match_id}.", code="match_not_found")
    return match


def match_status_shared(match_id: int) -> str:
    """The match's status, its row share-locked to the end of the transaction: sales that
    complete under it run side by side, and a status change (a cancellation) waits for them
    and is then seen by every later one."""
    with lock_wait(), connection.cursor() as cursor:
        cursor.execute("SELECT status FROM seating_match WHERE id = %s"
                       + lock_clause(shared=True), [match_id])
        return cursor.fetchone()[0]


def changed_fields(instance, data: dict, fields: tuple[str, ...]) -> list[str]:
    """Those of `fields` that `data` gives a new value for."""
    return [f for f in fields if f in data and getattr(instance, f) != data[f]]


def match_item_save(instance, data: dict, changed: list[str], *, match_id: int, action: str,
                    actor, request, check=None) -> None:
    """Set the `changed` fields of a match's phase, price category or sector from `data`, let
    `check` refuse the result, save those fields and audit them, before and after, under the
    match's id."""
    before = snapshot(instance, *changed)
    for name in changed:
        setattr(instance, name, data[name])
    if check is not None:
        check(instance)
    instance.save(update_fields=changed)
    audit_record(actor=actor, action=action, obj=instance, before={"match": match_id, **before},
                 after={"match": match_id, **snapshot(instance, *changed)}, request=request)


def _venue(venue_id: int | None) -> Stadium | None:
    if venue_id is None:
        return None
    venue = Stadium.objects.filter(pk=venue_id).first()
    if venue is None:
        raise DomainError(f"There is no stadium {venue_id}.", code="unknown_venue",
                          field="venue_id")
    return venue


def match_create(*, actor, home_team: str, away_team: str, kick_off_time: datetime,
                 match_type: str, competition: str = "", venue_id: int | None = None,
                 is_numbered: bool = True, fee_percent: Decimal | None = None,
                 request=None) -> Match:
    with transaction.atomic():
        match = Match(home_team=home_team, away_team=away_team, competition=competition,
                      kick_off_time=kick_off_time, venue=_venue(venue_id),
                      match_type=match_type, is_numbered=is_numbered)
        if fee_percent is not None:
            match.fee_percent = fee_percent
        match.save()
        audit_record(actor=actor, action="match.created", obj=match,
                     after=snapshot(match, *AUDITED_MATCH), request=request)
    return match


def match_update(*, match_id: int, actor, data: dict, request=None,
                 notification_preference: str = NotificationPreference.SILENT) -> Match:
    """Change the given fields; a `status` in `data` goes through `match_status_change`.
    Each change is logged (MatchAuditLog); with "notify" the ticket holders are told."""
    data = dict(data)
    status, reason = data.pop("status", None), data.pop("reason", "")
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        if "venue_id" in data:
            data["venue"] = _venue(data.pop("venue_id"))
        changed = changed_fields(match, data, MATCH_FIELDS)
        if changed:
            before = snapshot(match, *changed)
            for name in changed:
                setattr(match, name, data[name])
            match.save(update_fields=[*changed, "updated_at"])
            after = snapshot(match, *changed)
            audit_record(actor=actor, action="match.updated", obj=match, before=before,
                         after=after, request=request)
            change_log(match, actor=actor, preference=notification_preference,
                       change_type=(MatchChangeType.RESCHEDULE if "kick_off_time" in changed
                                    else MatchChangeType.UPDATE),
                       changes={name: [before[name], after[name]] for name in changed})
        if status and status != match.status:
            _status_change(match, to_status=status, reason=reason, actor=actor, request=request,
                           notification_preference=notification_preference)
    return match


STATUS_CHANGE_TYPES = {S.PUBLISHED: MatchChangeType.PUBLISH, S.CLOSED: MatchChangeType.CLOSE,
                       S.CANCELLED: MatchChangeType.CANCEL, S.ACTIVE: MatchChangeType.UPDATE}


def change_log(match: Match, *, actor, change_type: str, changes: dict,
               preference: str = NotificationPreference.SILENT) -> MatchAuditLog:
    """Log a change to the (locked) match; after commit, `seating.signals.match_changed`."""
    log = MatchAuditLog.objects.create(
        match=match, changed_by=actor if getattr(actor, "pk", None) else None,
        change_type=change_type, changes_json=changes, notification_preference=preference)
    transaction.on_commit(lambda: match_changed.send(sender=MatchAuditLog, log=log))
    return log


def match_status_change(*, match_id: int, to_status: str, actor, reason: str = "",
                        request=None, cancellation_approved: bool = False,
                        notification_preference: str = NotificationPreference.SILENT) -> Match:
    """`cancellation_approved`: the after-sale's match cancellation, the only way a match
    that was on sale is cancelled (its tickets refunded, E2-F7)."""
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        _status_change(match, to_status=to_status, reason=reason, actor=actor, request=request,
                       cancellation_approved=cancellation_approved,
                       notification_preference=notification_preference)
    return match


def _status_change(match: Match, *, to_status: str, reason: str, actor, request,
                   cancellation_approved: bool = False,
                   notification_preference: str = NotificationPreference.SILENT) -> None:
    """On a match already locked by the caller."""
    current = match.status
    MATCH_STATUS.check(current, to_status, field="status")
    if to_status == S.CANCELLED and current != S.DRAFT and not cancellation_approved:
        raise Forbidden(
            "A match that has been published is cancelled with POST /api/admin/matches/"
            f"{match.pk}/cancel, approved by a Super Admin: its tickets are refunded.",
            code="cancellation_needs_approval", field="status")
    now = timezone.now()
    match.status = to_status
    fields = ["status", "updated_at"]
    if to_status == S.CLOSED:
        match.closed_at = now
        fields.append("closed_at")
    if to_status == S.CANCELLED:
        match.cancelled_at, match.cancellation_reason = now, reason
        fields += ["cancelled_at", "cancellation_reason"]
    match.save(update_fields=fields)
    audit_record(actor=actor, action="match.status_changed", obj=match,
                 before={"status": current},
                 after={"status": to_status, "reason": reason}, request=request)
    change_log(match, actor=actor, change_type=STATUS_CHANGE_TYPES[to_status],
               changes={"status": [current, to_status], "reason": reason},
               preference=notification_preference)


def match_delete(*, match_id: int, actor, request=None) -> None:
    """Soft delete: the match disappears from every list and lookup."""
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        match.is_deleted, match.deleted_at = True, timezone.now()
        match.save(update_fields=["is_deleted", "deleted_at", "updated_at"])
        audit_record(actor=actor, action="match.deleted", obj=match,
                     before={"is_deleted": False},
                     after=snapshot(match, "is_deleted", "deleted_at"), request=request)


# --- Sales phases ---------------------------------------------------------------------------

def eligibility_rules_check(rules: dict) -> None:
    """Raise eligibility_rules_invalid naming the JSON path of every rule that breaks the
    published schema (then of every loyalty tier that breaks what it cannot say)."""
    validator = Draft202012Validator(schema_load("eligibility_rules"))
    errors = sorted(validator.iter_errors(rules), key=lambda e: list(e.absolute_path))
    messages = ([f"{e.json_path}: {e.message}" for e in errors] if errors
                else _loyalty_tiers_problems(rules.get("loyalty_tiers", [])))
    if not messages:
        return
    raise DomainError(f"The eligibility rules are invalid at {messages[0]}",
                      code="eligibility_rules_invalid",
                      fields={"eligibility_rules_json": messages})


def _loyalty_tiers_problems(tiers: list[dict]) -> list[str]:
    """What the schema cannot say about loyalty tiers: each threshold once, each limit within
    the per-match cap."""
    cap, seen, problems = settings.MAX_TICKETS_PER_FAN_PER_MATCH, set(), []
    for i, tier in enumerate(tiers):
        if tier["min_points"] in seen:
            problems.append(f"$.loyalty_tiers[{i}].min_points: {tier['min_points']} is the "
                            "threshold of an earlier tier")
        seen.add(tier["min_points"])
        if tier["ticket_limit"] > cap:
            problems.append(f"$.loyalty_tiers[{i}].ticket_limit: {tier['ticket_limit']} is "
                            f"above the per-match cap of {cap}")
    return problems


def _phase_check(phase: SalesPhase) -> None:
    if phase.start_at >= phase.end_at:
        raise DomainError("A sales phase must start before it ends.", code="invalid_phase_window",
                          field="end_at")
    cap = settings.MAX_TICKETS_PER_FAN_PER_MATCH
    if phase.ticket_limit > cap:
        raise DomainError(f"The ticket limit cannot exceed the per-match cap of {cap}.",
                          code="ticket_limit_too_high", field="ticket_limit")
    eligibility_rules_check(phase.eligibility_rules_json)
    # Touching windows (one ends when the next starts) are fine.
    clash = (SalesPhase.objects.filter(match_id=phase.match_id, start_at__lt=phase.end_at,
                                       end_at__gt=phase.start_at)
             .exclude(pk=phase.pk).first())
    if clash:
        start, end = timezone.localtime(clash.start_at), timezone.localtime(clash.end_at)
        raise DomainError(f'This phase overlaps the phase "{clash.name}" '
                          f"({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}).",
                          code="phases_overlap", field="start_at")


def sales_phase_list(*, match_id: int) -> QuerySet[SalesPhase]:
    return match_get(match_id=match_id).sales_phases.all()


def sales_phase_get(*, match_id: int, phase_id: int) -> SalesPhase:
    """Writers lock the match first; its row lock covers its phases."""
    phase = SalesPhase.objects.filter(pk=phase_id, match_id=match_id,
                                      match__is_deleted=False).first()
    if phase is None:
        raise NotFound(f"Match {match_id} has no sales phase {phase_id}.",
                       code="sales_phase_not_found")
    return phase


def sales_phase_create(*, match_id: int, actor, phase_type: str, name: str, start_at: datetime,
                       end_at: datetime, eligibility_rules_json: dict | None = None,
                       ticket_limit: int | None = None, is_active: bool = True,
                       request=None) -> SalesPhase:
    with transaction.atomic():
        # The match lock serialises phase writes, so two overlapping phases cannot both pass.
        match = match_get(match_id=match_id, lock=True)
        phase = SalesPhase(match=match, phase_type=phase_type, name=name, start_at=start_at,
                           end_at=end_at, eligibility_rules_json=eligibility_rules_json or {},
                           ticket_limit=ticket_limit or settings.MAX_TICKETS_PER_FAN_PER_MATCH,
                           is_active=is_active)
        _phase_check(phase)
        phase.save()
        audit_record(actor=actor, action="sales_phase.created", obj=phase,
                     after=snapshot(phase, *AUDITED_PHASE), request=request)
    return phase


def sales_phase_update(*, match_id: int, phase_id: int, actor, data: dict,
                       request=None) -> SalesPhase:
    with transaction.atomic():
        match_get(match_id=match_id, lock=True)
        phase = sales_phase_get(match_id=match_id, phase_id=phase_id)
        changed = changed_fields(phase, data, PHASE_FIELDS)
        if changed:
            match_item_save(phase, data, changed, match_id=match_id, action="sales_phase.updated",
                            actor=actor, request=request, check=_phase_check)
    return phase


def sales_phase_delete(*, match_id: int, phase_id: int, actor, request=None) -> None:
    """A phase that has opened is history (it decided who could buy): deactivate it instead."""
    with transaction.atomic():
        match_get(match_id=match_id, lock=True)
        phase = sales_phase_get(match_id=match_id, phase_id=phase_id)
        if phase.start_at <= timezone.now():
            raise Conflict("This sales phase has already started; set is_active to false "
                           "instead of deleting it.", code="phase_started")
        before = snapshot(phase, *AUDITED_PHASE)
        phase.delete()
        audit_record(actor=actor, action="sales_phase.deleted", object_type="seating.salesphase",
                     object_id=phase_id, before=before, request=request)
