"""Importing quotas from a CSV file (E7-F2) for one or several matches (E7-F3).

The file, as spreadsheet programs save it: UTF-8 with or without a BOM, comma- or
semicolon-separated (sniffed from the header line), CRLF or LF, blank lines and padding spaces
ignored, header names case-insensitive. Columns:

    email, sectors, quantity                          required
    recipient_name, internal_note, discount_code, discount_percent, algorithm (NM/REDOM),
    expires_at, can_create_subquotas, deferred_payment, transfer_allowed, auto_send_email

`sectors` holds sector codes separated by `|` (`A|B`): the pipe never clashes with the file's
own separator, whichever the program chose. Line numbers are the file's (the header is line 1).

A file that cannot be read as such a CSV is refused as a whole (400). Otherwise every row is
tried for every match, in file order, inside ONE transaction: a row is created for all matches
or for none (its errors are reported with its line), and each row allocates its seats before
the next is tried, so "quantity not available" counts what earlier rows took. Each quota goes
through `quota_create` (seats allocated, invitation sent after commit) with the batch set."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.audit import audit_record
from core.bounds import NOTE_MAX_LENGTH
from core.errors import Conflict, DomainError, ValidationFailed
from core.tables import TableRow, csv_table, header_name, is_workbook
from quotas.models import ImportBatch, Quota
from quotas.services.creation import (
    QuotaRequest,
    discount_resolve,
    email_clean,
    match_for_quota,
    quota_create,
)

REQUIRED = ("email", "sectors", "quantity")
OPTIONAL = ("recipient_name", "internal_note", "discount_code", "discount_percent", "algorithm",
            "expires_at", "can_create_subquotas", "deferred_payment", "transfer_allowed",
            "auto_send_email")
ALIASES = {"recipient_email": "email", "sector": "sectors", "sector_codes": "sectors",
           "delayed_payment": "deferred_payment", "transfer_permission": "transfer_allowed"}
SECTOR_SEPARATOR = "|"
EMAIL_MAX_LENGTH = Quota._meta.get_field("recipient_email").max_length
MAX_FILE_BYTES = 1024 * 1024  # 50 lines of quota data are a few kilobytes
TRUE = {"1", "true", "yes", "y", "da", "x"}
FALSE = {"0", "false", "no", "n", "ne", ""}
DATE_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y.", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y")


CsvRow = TableRow


@dataclass
class RowOutcome:
    line: int
    email: str
    quota_ids: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportOutcome:
    batch: ImportBatch | None  # None on a dry run
    match_ids: list[int]
    rows: list[RowOutcome]

    @property
    def quota_ids(self) -> list[int]:
        return [i for row in self.rows for i in row.quota_ids]

    @property
    def errors(self) -> list[dict]:
        return [e for row in self.rows for e in row.errors]

    @property
    def warnings(self) -> list[dict]:
        return [w for row in self.rows for w in row.warnings]

    @property
    def successful_rows(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def failed_rows(self) -> int:
        return len(self.rows) - self.successful_rows


def _malformed(message: str) -> DomainError:
    return DomainError(message, code="invalid_csv", field="file")


# --- reading the file -------------------------------------------------------------------------

def csv_parse(content: bytes) -> list[CsvRow]:
    """The data rows of a quota CSV, or DomainError (400) saying what is wrong with the file."""
    if not content or not content.strip():
        raise _malformed("The file is empty.")
    if len(content) > MAX_FILE_BYTES:
        raise _malformed(f"The file is larger than {MAX_FILE_BYTES // 1024} KB; a quota import "
                         f"has at most {settings.QUOTA_IMPORT_MAX_ROWS} lines.")
    if is_workbook(content):
        raise _malformed("This is a spreadsheet workbook, not a CSV: save it as “CSV UTF-8” "
                         "from the spreadsheet program.")
    try:
        return csv_table(content, max_rows=settings.QUOTA_IMPORT_MAX_ROWS,
                         header_check=lambda cells: _header_check(
                             [header_name(c, ALIASES) for c in cells]))
    except DomainError as exc:
        if exc.code != "invalid_file":
            raise
        raise _malformed(exc.detail) from None


def _header_check(names: list[str]) -> list[str]:
    known = set(REQUIRED) | set(OPTIONAL)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise _malformed(
            f"The header (line 1) lacks the column(s) {', '.join(missing)}; the file needs "
            f"{', '.join(REQUIRED)} and may have {', '.join(OPTIONAL)}.")
    unknown = [n for n in names if n and n not in known]
    if unknown:
        raise _malformed(f"Unknown column(s) {', '.join(unknown)} in the header (line 1); the "
                         f"columns are {', '.join(REQUIRED + OPTIONAL)}.")
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise _malformed(f"The column(s) {', '.join(repeated)} appear twice in the header.")
    return names


def match_ids_parse(values) -> list[int]:
    """Match ids from repeated fields and/or comma-separated lists, in order, without repeats."""
    ids = []
    for value in values:
        for part in str(value).replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValidationFailed(f"{part} is not a match id.", code="invalid_match_id",
                                       field="match_ids")
            if int(part) not in ids:
                ids.append(int(part))
    if not ids:
        raise ValidationFailed("Choose at least one match (match_ids).", code="no_match",
                               field="match_ids")
    return ids


# --- reading a row ----------------------------------------------------------------------------

class _RowErrors:
    def __init__(self, line: int):
        self.line, self.items = line, []

    def add(self, field_name: str | None, message: str, match_id: int | None = None) -> None:
        error = {"line": self.line, "field": field_name, "error": message}
        if match_id is not None:
            error["match_id"] = match_id
        self.items.append(error)


def _flag(row: CsvRow, name: str, default: bool, errors: _RowErrors) -> bool:
    raw = row.values.get(name, "")
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return default if value == "" else False
    errors.add(name, f"{raw} is not yes/no (use true/false, yes/no or 1/0).")
    return default


def _expiry(raw: str, errors: _RowErrors) -> datetime | None:
    """ISO (2026-09-30, 2026-09-30 18:00) or Croatian (30.09.2026, 30.09.2026 18:00); a date
    alone means the end of that day. Naive values are in the project's time zone."""
    raw = raw.strip()
    if not raw:
        return None
    value = None
    try:
        value = parse_datetime(raw) if re.search(r"\d[T ]\d", raw) else None
        day = parse_date(raw) if value is None else None
    except ValueError:
        day = None
    if day is not None:
        value = datetime.combine(day, time(23, 59))
    for fmt in DATE_FORMATS:
        if value is not None:
            break
        try:
            value = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if "%H" not in fmt:
            value = datetime.combine(value.date(), time(23, 59))
    if value is None:
        errors.add("expires_at", f"{raw} is not a date (use 2026-09-30, 2026-09-30 18:00 or "
                                 "30.09.2026).")
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def row_request(row: CsvRow, errors: _RowErrors) -> QuotaRequest | None:
    """The QuotaRequest of a row (without its match), or None with the row's errors added."""
    v = row.values
    if row.extra_cells:
        errors.add(None, "The line has more cells than the header has columns.")
    email = v.get("email", "")
    try:
        email = email_clean(email, "email")
    except DomainError as exc:
        errors.add("email", exc.detail)
    if len(email) > EMAIL_MAX_LENGTH:
        errors.add("email", f"The address is longer than {EMAIL_MAX_LENGTH} characters.")
    codes = [c.strip() for c in v.get("sectors", "").split(SECTOR_SEPARATOR) if c.strip()]
    if not codes:
        errors.add("sectors", "Name at least one sector code (several separated by |).")
    elif any(sep in c for c in codes for sep in ",; "):
        errors.add("sectors", "Separate sector codes with |, e.g. A|B.")
    quantity = None
    try:
        number = Decimal(v.get("quantity", "").replace(",", "."))
        if number == number.to_integral_value() and number >= 1:
            quantity = int(number)
    except InvalidOperation:
        pass
    if quantity is None:
        errors.add("quantity", f"{v.get('quantity') or 'An empty value'} is not a whole number "
                               "of at least 1.")
    percent = v.get("discount_percent", "").replace("%", "").replace(",", ".").strip()
    try:
        code, percent = discount_resolve(v.get("discount_code", ""), percent)
    except DomainError as exc:
        code, percent = "", None
        errors.add(next(iter(exc.fields), "discount_percent"), exc.detail)
    algorithm = (v.get("algorithm", "") or "NM").upper()
    if algorithm not in ("NM", "REDOM"):
        errors.add("algorithm", f"{v['algorithm']} is not NM (best seats) or REDOM (in order).")
    if len(v.get("recipient_name", "")) > 200:
        errors.add("recipient_name", "The name is longer than 200 characters.")
    if len(v.get("internal_note", "")) > NOTE_MAX_LENGTH:
        errors.add("internal_note", f"The note is longer than {NOTE_MAX_LENGTH} characters.")
    request = QuotaRequest(
        recipient_email=email, quantity=quantity or 0, sector_codes=codes,
        recipient_name=v.get("recipient_name", ""), internal_note=v.get("internal_note", ""),
        discount_code=code, discount_percent=percent,
        algorithm=algorithm, expires_at=_expiry(v.get("expires_at", ""), errors),
        can_create_subquotas=_flag(row, "can_create_subquotas", False, errors),
        deferred_payment=_flag(row, "deferred_payment", False, errors),
        transfer_allowed=_flag(row, "transfer_allowed", False, errors),
        auto_send_email=_flag(row, "auto_send_email", True, errors))
    return None if errors.items else request


# --- importing --------------------------------------------------------------------------------

def quotas_import(*, actor, file_name: str, content: bytes, match_ids: list[int],
                  dry_run: bool = False, allow_repeat: bool = False,
                  http_request=None) -> ImportOutcome:
    """Parse, validate and import a quota CSV for every match in `match_ids`. The same file for
    the same matches imports once (409 naming the earlier batch) unless `allow_repeat`."""
    rows = csv_parse(content)
    fingerprint = None
    if not (dry_run or allow_repeat):
        ids = ",".join(str(i) for i in sorted(set(match_ids)))
        fingerprint = hashlib.sha256(content + b"|" + ids.encode()).hexdigest()
        _not_imported_before(fingerprint)
    try:
        return rows_import(actor=actor, file_name=file_name, rows=rows, match_ids=match_ids,
                           dry_run=dry_run, fingerprint=fingerprint, http_request=http_request)
    except IntegrityError:  # the same upload committed meanwhile (a double click)
        _not_imported_before(fingerprint)
        raise


def _not_imported_before(fingerprint: str) -> None:
    earlier = ImportBatch.objects.filter(fingerprint=fingerprint).first()
    if earlier is not None:
        raise Conflict(
            f"This file was already imported for these matches (batch {earlier.pk}, "
            f"{timezone.localtime(earlier.imported_at):%d.%m.%Y %H:%M}). Send allow_repeat=true "
            "to import it again.", code="already_imported", field="file")


def rows_import(*, actor, file_name: str, rows: list[CsvRow], match_ids: list[int],
                dry_run: bool = False, fingerprint: str | None = None,
                http_request=None) -> ImportOutcome:
    """Import parsed rows in one transaction (rolled back on a dry run: the admin's preview
    shows exactly what the confirmation will do, seat availability included)."""
    if not match_ids:
        raise ValidationFailed("Choose at least one match (match_ids).", code="no_match",
                               field="match_ids")
    matches = [match_for_quota(i) for i in match_ids]
    outcomes = []
    with transaction.atomic():
        batch = ImportBatch.objects.create(file_name=(file_name or "upload.csv")[:255],
                                           match_ids=match_ids, imported_by=_user(actor),
                                           fingerprint=fingerprint)
        for row in rows:
            outcomes.append(_row_import(row, matches, batch, actor, http_request))
        outcome = ImportOutcome(batch=batch, match_ids=match_ids, rows=outcomes)
        batch.total_rows = len(rows)
        batch.successful_rows = outcome.successful_rows
        batch.failed_rows = outcome.failed_rows
        batch.quotas_created = len(outcome.quota_ids)
        batch.error_report = outcome.errors
        if not batch.quotas_created:  # nothing imported: the same file may be tried again
            batch.fingerprint = None
        batch.save(update_fields=["total_rows", "successful_rows", "failed_rows",
                                  "quotas_created", "error_report", "fingerprint"])
        if dry_run:
            transaction.set_rollback(True)
            outcome.batch = None
            for row_outcome in outcome.rows:
                row_outcome.quota_ids = []
        else:
            audit_record(actor=actor, action="quota_import.completed", obj=batch,
                         request=http_request,
                         after={"file_name": batch.file_name, "match_ids": match_ids,
                                "total_rows": batch.total_rows,
                                "successful_rows": batch.successful_rows,
                                "failed_rows": batch.failed_rows,
                                "quotas_created": batch.quotas_created})
    return outcome


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _row_import(row: CsvRow, matches, batch: ImportBatch, actor, http_request) -> RowOutcome:
    """One row for every match, all or nothing (a savepoint around the row)."""
    errors = _RowErrors(row.line)
    request = row_request(row, errors)
    outcome = RowOutcome(line=row.line, email=row.values.get("email", ""), errors=errors.items)
    if request is None:
        return outcome
    outcome.email = request.recipient_email
    sid = transaction.savepoint()
    for match in matches:
        try:
            created = quota_create(actor=actor, batch=batch, http_request=http_request,
                                   request=_for_match(request, match.pk))
        except DomainError as exc:
            for name, messages in (exc.fields or {None: [exc.detail]}).items():
                errors.add(_column(name), " ".join(messages), match.pk)
            continue
        outcome.quota_ids.append(created.quota.pk)
        if created.duplicates:
            outcome.warnings.append({
                "line": row.line, "match_id": match.pk,
                "warning": f"{request.recipient_email} already has quota(s) "
                           f"{', '.join(map(str, created.duplicates))} for this match."})
    if errors.items:
        transaction.savepoint_rollback(sid)
        outcome.quota_ids, outcome.warnings = [], []
    else:
        transaction.savepoint_commit(sid)
    return outcome


def _for_match(request: QuotaRequest, match_id: int) -> QuotaRequest:
    # request_check normalises its request in place: every match gets a fresh copy.
    return QuotaRequest(**{**request.__dict__, "match_id": match_id,
                           "sector_codes": list(request.sector_codes)})


def _column(name: str | None) -> str | None:
    return {"recipient_email": "email", "sector_ids": "sectors", "match_id": "match_ids"}.get(
        name, name)
