"""Blacklist entries (E11-F1) and the holder check run by checkout, quota claims and petrol
sales (E4-F6, E11-F3).

Transaction contract of `blacklist_check`: it is called BEFORE the caller opens its own
transaction. A refused purchase must leave its evidence behind, but the check refuses by raising
`Forbidden`, and an exception leaving a caller's `atomic()` rolls back everything written inside
it, the attempt rows included (`transaction.on_commit` would not help either: a rolled-back
transaction runs no commit hooks). So the check writes its attempts in an
`atomic(durable=True)` block of its own, which commits before the exception is raised. Django
refuses a durable block nested in another `atomic()` with a RuntimeError, so a caller that
breaks the contract fails loudly in its blacklisted-holder test instead of silently losing the
log (a clean list writes nothing, so it passes either way). A second database connection was
the alternative; it would need its own settings alias and pool slot for a rare event."""

from datetime import date

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accessctl.models import BlacklistCheckAttempt, BlacklistEntry, BlacklistSource
from core.audit import audit_record, request_client, snapshot
from core.errors import Conflict, Forbidden, ValidationFailed
from core.locks import lock_one
from core.oib import oib_validate
from core.pii import keyed_hash, mask
from core.sql import marks

AUDITED = ("oib", "first_name", "last_name", "reason", "source", "valid_from", "valid_until",
           "is_active", "deactivation_reason")
EDITABLE = ("first_name", "last_name", "reason", "source", "valid_from", "valid_until")


def _masked(oib: str) -> str:
    """`…1234`: how the refusal message names a holder."""
    return f"…{oib[-4:]}"


# --- Entries --------------------------------------------------------------------------------

def blacklist_entry_clean_oib(*, oib: str) -> str:
    """The normalised OIB, or 422 (checksum) / 409 (already actively listed). The admin form
    calls this too, so it can show the same messages next to the field."""
    oib = oib_validate((oib or "").strip())
    clash = BlacklistEntry.objects.filter(oib_hash=keyed_hash(oib), is_active=True).first()
    if clash is not None:
        raise Conflict(f"This OIB is already on the list (entry #{clash.pk}); edit that entry or "
                       "deactivate it first.", code="blacklist_duplicate", field="oib")
    return oib


def _check_fields(*, first_name: str, last_name: str, reason: str, source: str,
                  valid_from: date, valid_until: date | None) -> None:
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


def blacklist_entry_create(*, oib: str, first_name: str, last_name: str, reason: str,
                           source: str, valid_from: date | None = None,
                           valid_until: date | None = None, actor,
                           request=None) -> BlacklistEntry:
    oib = blacklist_entry_clean_oib(oib=oib)
    valid_from = valid_from or timezone.localdate()
    _check_fields(first_name=first_name, last_name=last_name, reason=reason, source=source,
                  valid_from=valid_from, valid_until=valid_until)
    entry = BlacklistEntry(
        oib=oib, oib_hash=keyed_hash(oib), first_name=first_name.strip(),
        last_name=last_name.strip(), reason=reason.strip(), source=source,
        valid_from=valid_from, valid_until=valid_until,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            entry.save()
            audit_record(actor=actor, action="blacklist_entry.created", obj=entry,
                         after=snapshot(entry, *AUDITED), request=request)
    except IntegrityError:  # listed by someone else since the check above
        raise Conflict("This OIB is already on the list.", code="blacklist_duplicate",
                       field="oib") from None
    return entry


def blacklist_entry_update(*, entry: BlacklistEntry, changes: dict, actor,
                           request=None) -> BlacklistEntry:
    """Change the name, reason, source or validity; the OIB never changes (list it anew)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
                               code="not_editable")
    with transaction.atomic():
        entry = lock_one(BlacklistEntry.objects.filter(pk=entry.pk))
        merged = {name: getattr(entry, name) for name in EDITABLE} | changes
        _check_fields(**merged)
        before = snapshot(entry, *AUDITED)
        for name, value in changes.items():
            setattr(entry, name, value)
        entry.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="blacklist_entry.updated", obj=entry, before=before,
                     after=snapshot(entry, *AUDITED), request=request)
    return entry


def blacklist_entry_deactivate(*, entry: BlacklistEntry, actor, reason: str = "",
                               request=None) -> BlacklistEntry:
    with transaction.atomic():
        entry = lock_one(BlacklistEntry.objects.filter(pk=entry.pk))
        if not entry.is_active:
            raise Conflict("This entry is already inactive.", code="blacklist_inactive")
        before = snapshot(entry, *AUDITED)
        entry.is_active = False
        entry.deactivated_at = timezone.now()
        entry.deactivated_by = actor if getattr(actor, "is_authenticated", False) else None
        entry.deactivation_reason = reason.strip()[:300]
        entry.save(update_fields=["is_active", "deactivated_at", "deactivated_by",
                                  "deactivation_reason", "updated_at"])
        audit_record(actor=actor, action="blacklist_entry.deactivated", obj=entry,
                     before=before, after=snapshot(entry, *AUDITED), request=request)
    return entry


# --- The holder check -----------------------------------------------------------------------

def _listed_today(oib_hashes: list[str], today: date) -> list[tuple[int, str]]:
    """(entry id, OIB hash) of the active entries valid `today` among these hashes, in id
    order; no decrypting: the hash says who. Plain SQL: every checkout runs it."""
    day = connection.ops.adapt_datefield_value(today)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, oib_hash FROM accessctl_blacklistentry"
            f" WHERE oib_hash IN ({marks(oib_hashes)}) AND is_active"
            " AND valid_from <= %s AND (valid_until IS NULL OR valid_until >= %s) ORDER BY id",
            [*oib_hashes, day, day])
        return cursor.fetchall()


def blacklist_listed(*, oib_hashes: list[str]) -> bool:
    """Whether any of these OIB hashes is on the list today: the cheap question to ask before
    `blacklist_check`, which also logs the attempt and refuses."""
    hashes = [h for h in oib_hashes if h]
    return bool(hashes) and bool(_listed_today(hashes, timezone.localdate()))


def blacklist_check(*, oibs: list[str], user, request=None, context: str,
                    reference: str = "") -> None:
    """Refuse (403, code "blacklisted") if any holder OIB is on the list today.

    One query for all holders, by keyed hash, among active entries with valid_from <= today <=
    valid_until (or no end). Each matched holder gets one `BlacklistCheckAttempt` row.
    Empty OIBs (foreign holders identified by passport) are skipped.

    Call it before opening your own transaction (see the module docstring): the attempts are
    committed here, in a durable atomic block, before `Forbidden` is raised.
    """
    by_hash = {keyed_hash(oib): oib for oib in {(o or "").strip() for o in oibs} if oib}
    if not by_hash:
        return
    matches = _listed_today(list(by_hash), timezone.localdate())
    if not matches:
        return
    ip, user_agent = request_client(request)
    user = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic(durable=True):
        BlacklistCheckAttempt.objects.bulk_create(
            BlacklistCheckAttempt(
                user=user, entry_id=entry_id, oib_masked=mask(by_hash[oib_hash]),
                ip_address=ip, user_agent=user_agent, context=context,
                reference=str(reference)[:100],
            )
            for entry_id, oib_hash in matches
        )
    holders = ", ".join(_masked(by_hash[oib_hash]) for _, oib_hash in matches)
    raise Forbidden(
        f"Kupnja nije moguća: osoba s OIB-om {holders} nalazi se na popisu zabrana. "
        "Za informacije se obratite MUP-u (Ministarstvo unutarnjih poslova). / "
        f"Purchase not possible: a ticket holder (OIB {holders}) is on the banned list; "
        "please contact the Ministry of the Interior (MUP).",
        code="blacklisted",
    )
