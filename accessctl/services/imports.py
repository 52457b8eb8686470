"""Importing the blacklist from a file (E11-F2): CSV as spreadsheet programs save it, or XLSX
(read by `core.tables`). Columns (header names case-insensitive):

    oib, first_name, last_name                        required
    date_of_birth, reason, source, notes, valid_from, valid_until

Every row is checked on its own (OIB checksum, names, dates, source); a row whose OIB is
already on the list, or earlier in the file, is skipped as a duplicate. The valid rows are
inserted in one batch, in one transaction, under the blacklist's write lock, with an import
batch recording the totals and every refused line with its field and reason. A file that
cannot be read at all is refused whole (400)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction

from accessctl.models import (
    BlacklistAction,
    BlacklistAuditLog,
    BlacklistEntry,
    BlacklistImportBatch,
    BlacklistSource,
)
from accessctl.services.entries import WRITE_LOCK, entry_build, entry_snapshot
from core.audit import audit_record
from core.errors import DomainError
from core.locks import lock_name
from core.oib import oib_validate
from core.tables import TableRow, header_name, malformed, table_read

REQUIRED = ("oib", "first_name", "last_name")
OPTIONAL = ("date_of_birth", "reason", "source", "notes", "valid_from", "valid_until")
ALIASES = {"ime": "first_name", "prezime": "last_name", "datum_rodenja": "date_of_birth",
           "datum_rođenja": "date_of_birth", "dob": "date_of_birth", "firstname": "first_name",
           "lastname": "last_name", "napomena": "notes", "razlog": "reason"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y.", "%d.%m.%Y", "%d/%m/%Y")
HASH_CHUNK = 1000


@dataclass
class ImportResult:
    batch: BlacklistImportBatch
    entries: list[BlacklistEntry]


def _header_check(cells: list[str]) -> list[str]:
    names = [header_name(c, ALIASES) for c in cells]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise malformed(f"The header (line 1) lacks the column(s) {', '.join(missing)}; the "
                        f"file needs {', '.join(REQUIRED)} and may have {', '.join(OPTIONAL)}.")
    unknown = [n for n in names if n and n not in REQUIRED + OPTIONAL]
    if unknown:
        raise malformed(f"Unknown column(s) {', '.join(unknown)} in the header (line 1); the "
                        f"columns are {', '.join(REQUIRED + OPTIONAL)}.")
    return names


def _date(raw: str, name: str) -> date | None:
    if not raw:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise DomainError(f"“{raw}” is not a date (use YYYY-MM-DD or DD.MM.YYYY).",
                      code="invalid_date", field=name)


def _row_entry(row: TableRow, *, default_source: str, default_reason: str, actor,
               batch: BlacklistImportBatch) -> BlacklistEntry:
    values = row.values
    oib = oib_validate(values.get("oib", ""))
    source = (values.get("source") or default_source).upper()
    return entry_build(
        oib=oib, first_name=values.get("first_name", ""), last_name=values.get("last_name", ""),
        date_of_birth=_date(values.get("date_of_birth", ""), "date_of_birth"),
        reason=values.get("reason") or default_reason, source=source,
        notes=values.get("notes", ""),
        valid_from=_date(values.get("valid_from", ""), "valid_from"),
        valid_until=_date(values.get("valid_until", ""), "valid_until"),
        actor=actor, import_batch=batch)


def _listed_hashes(hashes: list[str]) -> set[str]:
    listed = set()
    for start in range(0, len(hashes), HASH_CHUNK):
        listed.update(BlacklistEntry.objects.filter(oib_hash__in=hashes[start:start + HASH_CHUNK])
                      .values_list("oib_hash", flat=True))
    return listed


def blacklist_import(*, actor, file_name: str, content: bytes,
                     source: str = BlacklistSource.MUP_COURT_BAN, request=None) -> ImportResult:
    if source not in BlacklistSource.values:
        raise DomainError(f"Source must be one of {', '.join(BlacklistSource.values)}.",
                          code="invalid_choice", field="source")
    rows = table_read(content, file_name=file_name, max_rows=settings.BLACKLIST_IMPORT_MAX_ROWS,
                      max_bytes=settings.BLACKLIST_IMPORT_MAX_BYTES, header_check=_header_check)
    batch = BlacklistImportBatch(file_name=file_name[:255], total_rows=len(rows),
                                 imported_by=actor if actor.is_authenticated else None)
    errors, candidates, seen = [], [], set()
    default_reason = f"Imported from {file_name}"[:200]
    for row in rows:
        try:
            entry = _row_entry(row, default_source=source, default_reason=default_reason,
                               actor=actor, batch=batch)
        except DomainError as exc:
            errors.append({"line": row.line, "field": next(iter(exc.fields), ""),
                           "error": exc.detail})
            continue
        if entry.oib_hash in seen:
            errors.append({"line": row.line, "field": "oib", "duplicate": True,
                           "error": "This OIB appears earlier in the file."})
            continue
        seen.add(entry.oib_hash)
        candidates.append((row.line, entry))
    with transaction.atomic():
        lock_name(WRITE_LOCK)
        listed = _listed_hashes([e.oib_hash for _, e in candidates])
        new = []
        for line, entry in candidates:
            if entry.oib_hash in listed:
                errors.append({"line": line, "field": "oib", "duplicate": True,
                               "error": "This OIB is already on the list."})
            else:
                new.append(entry)
        duplicates = sum(1 for e in errors if e.get("duplicate"))
        batch.successful_rows, batch.duplicate_rows = len(new), duplicates
        batch.failed_rows = len(errors) - duplicates
        batch.error_report_json = sorted(errors, key=lambda e: e["line"])
        batch.save()
        BlacklistEntry.objects.bulk_create(new, batch_size=1000)
        BlacklistAuditLog.objects.bulk_create(
            (BlacklistAuditLog(entry=e, entry_ref=e.pk, action=BlacklistAction.CREATE,
                               changed_by=batch.imported_by,
                               changes_json={"created": entry_snapshot(e),
                                             "import_batch": batch.pk}) for e in new),
            batch_size=1000)
        audit_record(actor=actor, action="blacklist.imported", obj=batch, request=request,
                     after={"file_name": batch.file_name, "total": batch.total_rows,
                            "imported": batch.successful_rows, "duplicates": duplicates,
                            "failed": batch.failed_rows})
    return ImportResult(batch=batch, entries=new)
