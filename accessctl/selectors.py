"""Reading the violations log (E11-F5): filtered in the API and Django Admin, exported as CSV."""

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accessctl.models import BlacklistEntry, BlacklistViolation
from core.oib import oib_validate
from core.pii import keyed_hash
from core.tables import csv_response

CSV_HEADER = ["blocked_at", "action_type", "oib", "entry_id", "match_id", "match", "user",
              "session_id", "ip_address", "user_agent", "reference"]


def oib_term_hash(term: str) -> str | None:
    """The keyed hash of a search term that is a full 11-digit OIB, else None: the OIB column
    is ciphertext, so an OIB is only ever found through its hash."""
    term = (term or "").strip()
    return keyed_hash(term) if len(term) == 11 and term.isdigit() else None


def entries_search(*, q: str = "", status: str = "") -> QuerySet[BlacklistEntry]:
    """Entries by full OIB or part of a last name, optionally of one status."""
    rows = BlacklistEntry.objects.order_by("last_name", "first_name", "id")
    oib_hash = oib_term_hash(q)
    if oib_hash:
        rows = rows.filter(oib_hash=oib_hash)
    elif q.strip():
        rows = rows.filter(last_name__icontains=q.strip())
    return rows.filter(status=status.upper()) if status else rows


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def violations_filter(*, date_from: date | None = None, date_to: date | None = None,
                      oib: str = "", match_id: int | None = None) -> QuerySet:
    """Newest first; `date_to` includes that whole day; an OIB is matched through its hash."""
    rows = BlacklistViolation.objects.select_related("match", "user").order_by("-blocked_at",
                                                                                "-id")
    if date_from:
        rows = rows.filter(blocked_at__gte=_day_start(date_from))
    if date_to:
        rows = rows.filter(blocked_at__lt=_day_start(date_to) + timedelta(days=1))
    if oib:
        rows = rows.filter(oib_hash=keyed_hash(oib_validate(oib.strip())))
    if match_id:
        rows = rows.filter(match_id=match_id)
    return rows


def violation_row(v: BlacklistViolation) -> list:
    return [v.blocked_at.isoformat(), v.action_type, v.oib_masked, v.entry_id, v.match_id,
            str(v.match) if v.match else "", v.user.email if v.user else "", v.session_id,
            v.ip_address or "", v.user_agent, v.reference]


def violation_csv(rows: QuerySet):
    stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
    return csv_response(file_name=f"blacklist_violations_{stamp}.csv", header=CSV_HEADER,
                        rows=(violation_row(v) for v in rows.iterator(chunk_size=2000)))
