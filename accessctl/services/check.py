"""The holder check run by checkout, transfers, quota claims, the waiting room and petrol
sales (E4-F6, E11-F3), and the internal callers' question.

Transaction contract of `blacklist_check`: it is called BEFORE the caller opens its own
transaction. A refused purchase must leave its evidence behind, but the check refuses by raising
`Forbidden`, and an exception leaving a caller's `atomic()` rolls back everything written inside
it, the violation rows included (`transaction.on_commit` would not help either: a rolled-back
transaction runs no commit hooks). So the check writes its violations in an
`atomic(durable=True)` block of its own, which commits before the exception is raised. Django
refuses a durable block nested in another `atomic()` with a RuntimeError, so a caller that
breaks the contract fails loudly in its blacklisted-holder test instead of silently losing the
log (a clean list writes nothing, so it passes either way). A second database connection was
the alternative; it would need its own settings alias and pool slot for a rare event."""

from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from accessctl.models import BlacklistViolation, ViolationAction
from core.audit import audit_record, request_client
from core.errors import Forbidden, ValidationFailed
from core.oib import oib_validate
from core.pii import keyed_hash, mask
from core.sql import marks


def _masked(oib: str) -> str:
    """`…1234`: how the refusal message names a holder."""
    return f"…{oib[-4:]}"


def mup_message(holders: str) -> str:
    """The standard message (Croatian, then English) for a refused attempt."""
    return (f"Kupnja nije moguća: osoba s OIB-om {holders} nalazi se na popisu zabrana. "
            "Za informacije se obratite MUP-u (Ministarstvo unutarnjih poslova). / "
            f"Purchase not possible: a ticket holder (OIB {holders}) is on the banned list; "
            "please contact the Ministry of the Interior (MUP).")


def _listed_today(oib_hashes: list[str], today: date) -> list[tuple[int, str]]:
    """(entry id, OIB hash) of the ACTIVE entries valid `today` among these hashes, in id
    order; no decrypting: the hash says who. Plain SQL: every checkout runs it."""
    day = connection.ops.adapt_datefield_value(today)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, oib_hash FROM accessctl_blacklistentry"
            f" WHERE oib_hash IN ({marks(oib_hashes)}) AND status = 'ACTIVE'"
            " AND valid_from <= %s AND (valid_until IS NULL OR valid_until >= %s) ORDER BY id",
            [*oib_hashes, day, day])
        return cursor.fetchall()


def listed_today_sql(column: str) -> str:
    """A SQL condition: the OIB hash in `column` (qualified with its table, or it would name
    the entry's own column inside the subquery) is on the list today. Two parameters follow
    it, both today's date (`listed_today_params`). For callers that ask inside a query they
    run anyway, so the answer costs no query of its own (order completion)."""
    return (f"({column} <> '' AND EXISTS (SELECT 1 FROM accessctl_blacklistentry b"
            f" WHERE b.oib_hash = {column} AND b.status = 'ACTIVE' AND b.valid_from <= %s"
            " AND (b.valid_until IS NULL OR b.valid_until >= %s)))")


def listed_today_params() -> list:
    day = connection.ops.adapt_datefield_value(timezone.localdate())
    return [day, day]


def blacklist_listed(*, oib_hashes: list[str]) -> bool:
    """Whether any of these OIB hashes is on the list today: the cheap question to ask before
    `blacklist_check`, which also logs the attempt and refuses."""
    hashes = [h for h in oib_hashes if h]
    return bool(hashes) and bool(_listed_today(hashes, timezone.localdate()))


def session_id(request) -> str:
    """The API session (JWT) or the Django session behind a request, if any."""
    if request is None:
        return ""
    auth = getattr(request, "auth", None)
    if getattr(auth, "pk", None):
        return str(auth.pk)
    session = getattr(request, "session", None)
    return (getattr(session, "session_key", None) or "") if session is not None else ""


def _violations_record(matches: list[tuple[int, str]], by_hash: dict[str, str], *, user,
                       request, action: str, match_id: int | None, reference: str) -> None:
    ip, user_agent = request_client(request)
    user = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic(durable=True):
        violations = BlacklistViolation.objects.bulk_create(
            BlacklistViolation(
                action_type=action, entry_id=entry_id, oib_hash=oib_hash,
                oib_masked=mask(by_hash[oib_hash]), match_id=match_id, user=user,
                session_id=session_id(request)[:64], ip_address=ip, user_agent=user_agent,
                reference=str(reference)[:100])
            for entry_id, oib_hash in matches)
        for violation in violations:
            audit_record(actor=user, action="violation.recorded", obj=violation, request=request,
                         after={"action_type": violation.action_type,
                                "entry_id": violation.entry_id, "oib": violation.oib_masked,
                                "match_id": violation.match_id,
                                "reference": violation.reference})


def blacklist_check(*, oibs: list[str], user, request=None, action: str,
                    match_id: int | None = None, reference: str = "") -> None:
    """Refuse (403, code "blacklisted") if any holder OIB is on the list today.

    One query for all holders, by keyed hash, among ACTIVE entries with valid_from <= today <=
    valid_until (or no end). Each matched holder gets one `BlacklistViolation` row with the
    action (a `ViolationAction`), match, user, session, IP and user agent. Empty OIBs
    (foreign holders identified by passport) are skipped.

    Call it before opening your own transaction (see the module docstring): the violations
    are committed here, in a durable atomic block, before `Forbidden` is raised.
    """
    by_hash = {keyed_hash(oib): oib for oib in {(o or "").strip() for o in oibs} if oib}
    if not by_hash:
        return
    matches = _listed_today(list(by_hash), timezone.localdate())
    if not matches:
        return
    _violations_record(matches, by_hash, user=user, request=request, action=action,
                       match_id=match_id, reference=reference)
    holders = ", ".join(_masked(by_hash[oib_hash]) for _, oib_hash in matches)
    raise Forbidden(mup_message(holders), code="blacklisted")


def blacklist_lookup(*, oib: str, request=None, action: str = ViolationAction.CHECK,
                     match_id: int | None = None) -> dict:
    """The internal callers' question (E11-F3): is this OIB listed today? A "yes" is logged
    as a violation with the action the caller names."""
    oib = oib_validate((oib or "").strip())
    if action not in ViolationAction.values:
        raise ValidationFailed(f"Action must be one of {', '.join(ViolationAction.values)}.",
                               field="action", code="invalid_choice")
    oib_hash = keyed_hash(oib)
    matches = _listed_today([oib_hash], timezone.localdate())
    if not matches:
        return {"is_blacklisted": False, "message": ""}
    _violations_record(matches, {oib_hash: oib}, user=None, request=request, action=action,
                       match_id=match_id, reference="internal check")
    return {"is_blacklisted": True, "message": mup_message(_masked(oib))}
