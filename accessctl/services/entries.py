"""Blacklist entries (E11-F1): list, change, remove (with a reason), restore, and delete for
good once removed. Every change writes a `BlacklistAuditLog` row with the fields before and
after (the OIB masked) and an audit event; a hard delete first copies the entry there.

New entries (by hand or by import) are written under one name lock (`blacklist`), so the
"already listed?" check and the insert cannot interleave."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from accessctl.models import (
    BlacklistAction,
    BlacklistAuditLog,
    BlacklistEntry,
    BlacklistSource,
    BlacklistStatus,
)
from core.audit import audit_record, snapshot
from core.errors import Conflict, ValidationFailed
from core.locks import lock_name, lock_one
from core.oib import oib_validate
from core.pii import keyed_hash

AUDITED = ("first_name", "last_name", "date_of_birth", "reason", "source", "notes",
           "valid_from", "valid_until", "status", "removal_reason")
EDITABLE = ("first_name", "last_name", "date_of_birth", "reason", "source", "notes",
            "valid_from", "valid_until")
WRITE_LOCK = "blacklist"


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def entry_snapshot(entry: BlacklistEntry) -> dict:
    return {"oib": entry.oib_masked, **snapshot(entry, *AUDITED)}


def audit_log(entry: BlacklistEntry, action: str, *, actor, before: dict | None = None,
              request=None) -> None:
    after = entry_snapshot(entry)
    changes = ({"created": after} if before is None else
               {name: [before.get(name), value] for name, value in after.items()
                if before.get(name) != value})
    BlacklistAuditLog.objects.create(entry=entry, entry_ref=entry.pk,
                                     action=action, changed_by=_actor(actor),
                                     changes_json=changes)
    audit_record(actor=actor, action=f"blacklist_entry.{action.lower()}", obj=entry,
                 before=before, after=after, request=request)


def blacklist_entry_clean_oib(*, oib: str) -> str:
    """The normalised OIB, or 422 (checksum) / 409 (already on the list, even removed). The
    admin form calls this too, so it can show the same messages next to the field."""
    oib = oib_validate((oib or "").strip())
    clash = BlacklistEntry.objects.filter(oib_hash=keyed_hash(oib)).first()
    if clash is not None:
        hint = ("edit that entry" if clash.status == BlacklistStatus.ACTIVE
                else "restore that entry")
        raise Conflict(f"This OIB is already on the list (entry #{clash.pk}, "
                       f"{clash.status.lower()}); {hint} instead.",
                       code="blacklist_duplicate", field="oib")
    return oib


def check_fields(*, first_name: str, last_name: str, reason: str, source: str,
                 valid_from: date, valid_until: date | None, **_) -> None:
    for name, value in (("first_name", first_name), ("last_name", last_name),
                        ("reason", reason)):
        if not (value or "").strip():
            raise ValidationFailed("This field is required.", code="required", field=name)
    if source not in BlacklistSource.values:
        raise ValidationFailed(f"Source must be one of {', '.join(BlacklistSource.values)}.",
                               code="invalid_choice", field="source")
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("“Valid until” cannot be before “valid from”.",
                               code="invalid_range", field="valid_until")


def entry_build(*, oib: str, first_name: str, last_name: str, reason: str, source: str,
                date_of_birth: date | None = None, notes: str = "",
                valid_from: date | None = None, valid_until: date | None = None,
                actor=None, import_batch=None) -> BlacklistEntry:
    """A checked, unsaved entry for a normalised OIB."""
    valid_from = valid_from or timezone.localdate()
    check_fields(first_name=first_name, last_name=last_name, reason=reason, source=source,
                 valid_from=valid_from, valid_until=valid_until)
    return BlacklistEntry(
        oib=oib, oib_hash=keyed_hash(oib), first_name=first_name.strip(),
        last_name=last_name.strip(), date_of_birth=date_of_birth, reason=reason.strip(),
        source=source, notes=(notes or "").strip(), valid_from=valid_from,
        valid_until=valid_until, created_by=_actor(actor), import_batch=import_batch)


def blacklist_entry_create(*, oib: str, actor, request=None, **fields) -> BlacklistEntry:
    """List one person (the fields of `entry_build`). The caller then shows the tickets the
    person already has (`bans.blacklist_tickets_found`) for the admin to confirm."""
    oib = oib_validate((oib or "").strip())
    entry = entry_build(oib=oib, actor=actor, **fields)
    with transaction.atomic():
        lock_name(WRITE_LOCK)
        blacklist_entry_clean_oib(oib=oib)
        entry.save()
        audit_log(entry, BlacklistAction.CREATE, actor=actor, request=request)
    return entry


def _locked(entry_id: int) -> BlacklistEntry:
    return lock_one(BlacklistEntry.objects.filter(pk=entry_id))


def blacklist_entry_update(*, entry: BlacklistEntry, changes: dict, actor,
                           request=None) -> BlacklistEntry:
    """Change the name, reason, source, notes or validity; the OIB never changes (list the
    person anew)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
                               code="not_editable", field=sorted(unknown)[0])
    with transaction.atomic():
        entry = _locked(entry.pk)
        check_fields(**({name: getattr(entry, name) for name in EDITABLE} | changes))
        before = entry_snapshot(entry)
        for name, value in changes.items():
            setattr(entry, name, value)
        entry.save(update_fields=[*changes, "updated_at"])
        audit_log(entry, BlacklistAction.UPDATE, actor=actor, before=before, request=request)
    return entry


def blacklist_entry_remove(*, entry: BlacklistEntry, actor, reason: str,
                           request=None) -> BlacklistEntry:
    """Take the person off the list (a reason is required); the entry stays, REMOVED."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the entry is removed.", code="required",
                               field="reason")
    with transaction.atomic():
        entry = _locked(entry.pk)
        if entry.status != BlacklistStatus.ACTIVE:
            raise Conflict("This entry is already removed.", code="blacklist_removed")
        before = entry_snapshot(entry)
        entry.status, entry.removed_at = BlacklistStatus.REMOVED, timezone.now()
        entry.removed_by, entry.removal_reason = _actor(actor), reason[:300]
        entry.save(update_fields=["status", "removed_at", "removed_by", "removal_reason",
                                  "updated_at"])
        audit_log(entry, BlacklistAction.REMOVE, actor=actor, before=before, request=request)
    return entry


def blacklist_entry_restore(*, entry: BlacklistEntry, actor, request=None) -> BlacklistEntry:
    with transaction.atomic():
        entry = _locked(entry.pk)
        if entry.status != BlacklistStatus.REMOVED:
            raise Conflict("This entry is active already.", code="blacklist_active")
        before = entry_snapshot(entry)
        entry.status, entry.removed_at, entry.removed_by = BlacklistStatus.ACTIVE, None, None
        entry.removal_reason = ""
        entry.save(update_fields=["status", "removed_at", "removed_by", "removal_reason",
                                  "updated_at"])
        audit_log(entry, BlacklistAction.RESTORE, actor=actor, before=before, request=request)
    return entry


def blacklist_entry_delete(*, entry: BlacklistEntry, actor, request=None) -> None:
    """Delete a REMOVED entry for good (data retention), after copying it to the audit log;
    its violations keep their masked OIB and hash."""
    with transaction.atomic():
        entry = _locked(entry.pk)
        if entry.status != BlacklistStatus.REMOVED:
            raise Conflict("Remove the entry before deleting it.", code="blacklist_active")
        before = entry_snapshot(entry) | {"oib_hash": entry.oib_hash,
                                          "created_at": entry.created_at.isoformat(),
                                          "removed_at": entry.removed_at.isoformat()}
        BlacklistAuditLog.objects.create(entry=None, entry_ref=entry.pk,
                                         action=BlacklistAction.DELETE,
                                         changed_by=_actor(actor),
                                         changes_json={"deleted": before})
        audit_record(actor=actor, action="blacklist_entry.delete",
                     object_type="accessctl.blacklistentry", object_id=entry.pk, before=before,
                     request=request)
        entry.delete()
