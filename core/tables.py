"""Reading the tables people upload (quota and blacklist imports) and writing the CSV files
they download.

Uploaded files come as spreadsheet programs save them: CSV in UTF-8 with or without a BOM,
comma- or semicolon-separated (sniffed from the header line), CRLF or LF, blank lines and
padding spaces ignored, header names case-insensitive; or an XLSX workbook (its first sheet).
Line numbers are the file's (the header is line 1). A file that cannot be read is refused as a
whole with a DomainError (400) on the field "file".

Every CSV the platform writes goes through `csv_cell`: a cell that starts with `=`, `+`, `-`,
`@` (or a tab or carriage return) would run as a formula when the file is opened in a
spreadsheet, so it gets a leading apostrophe (OWASP's advice for CSV injection)."""

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.http import StreamingHttpResponse

from core.errors import DomainError

WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a workbook may unpack to: an XLSX is a zip, so a small upload could inflate to gigabytes.
XLSX_MAX_UNZIPPED = 100 * 1024 * 1024
# What a damaged workbook raises from openpyxl and zipfile (XML parse errors are SyntaxErrors).
XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, LookupError, ValueError, TypeError,
               OSError, SyntaxError, NotImplementedError, RuntimeError)


@dataclass
class TableRow:
    line: int  # the file's line number where the row starts (header = 1)
    values: dict[str, str]  # column -> stripped cell
    extra_cells: int = 0


def malformed(message: str) -> DomainError:
    return DomainError(message, code="invalid_file", field="file")


def header_name(raw: str, aliases: dict[str, str] | None = None) -> str:
    name = re.sub(r"[\s\-]+", "_", str(raw).strip().strip('"').strip().lower())
    return (aliases or {}).get(name, name)


def is_workbook(content: bytes) -> bool:
    return content.startswith(WORKBOOK_MAGIC)


def _rows(cells_by_line: Iterable[tuple[int, list[str]]], *, max_rows: int,
          header_check: Callable[[list[str]], list[str]]) -> list[TableRow]:
    header, rows = None, []
    for line, cells in cells_by_line:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue  # a blank line, or a row of empty cells
        if header is None:
            header = header_check(cells)
            continue
        if len(rows) == max_rows:
            raise malformed(f"The file has more than {max_rows} data lines; split it into "
                            "several imports.")
        values = {name: (cells[i] if i < len(cells) else "")
                  for i, name in enumerate(header) if name}
        extra = sum(1 for c in cells[len(header):] if c)
        rows.append(TableRow(line=line, values=values, extra_cells=extra))
    if header is None:
        raise malformed("The file is empty.")
    if not rows:
        raise malformed("The file has a header but no data lines.")
    return rows


def csv_table(content: bytes, *, max_rows: int,
              header_check: Callable[[list[str]], list[str]]) -> list[TableRow]:
    """The data rows of a CSV file. `header_check` gets the header cells and returns the
    column names (or raises)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise malformed("The file is not UTF-8 text: save it as “CSV UTF-8” from the "
                        "spreadsheet program.") from None
    if "\x00" in text:
        raise malformed("The file is not a CSV text file.")
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def lines() -> Iterator[tuple[int, list[str]]]:
        line = 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            yield start, cells

    try:
        return _rows(lines(), max_rows=max_rows, header_check=header_check)
    except csv.Error as exc:
        raise malformed(f"Line {reader.line_num}: the file is not valid CSV ({exc}).") from None


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "hour"):  # a datetime: dates come as these
        return value.date().isoformat() if not (value.hour or value.minute) else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an OIB typed as a number
    return str(value)


def xlsx_table(content: bytes, *, max_rows: int,
               header_check: Callable[[list[str]], list[str]]) -> list[TableRow]:
    """The data rows of an XLSX workbook's first sheet (read-only, streamed by openpyxl). Its
    unpacked size is checked before anything is read: zipfile never inflates an entry past the
    size its directory declares."""
    from openpyxl import load_workbook

    unreadable = "The file is not a readable XLSX workbook."
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
        if unpacked > XLSX_MAX_UNZIPPED:
            raise malformed(f"The workbook unpacks to more than "
                            f"{XLSX_MAX_UNZIPPED // (1024 * 1024)} MB.")
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except XLSX_ERRORS:
        raise malformed(unreadable) from None
    try:
        sheet = book.worksheets[0]
        lines = ((number, [_xlsx_cell(v) for v in values])
                 for number, values in enumerate(sheet.iter_rows(values_only=True), start=1))
        return _rows(lines, max_rows=max_rows, header_check=header_check)
    except XLSX_ERRORS:  # a damaged sheet shows only as its rows are streamed
        raise malformed(unreadable) from None
    finally:
        book.close()


def table_read(content: bytes, *, file_name: str, max_rows: int, max_bytes: int,
               header_check: Callable[[list[str]], list[str]]) -> list[TableRow]:
    """CSV or XLSX, told apart by content (never by the name)."""
    if not content or not content.strip():
        raise malformed("The file is empty.")
    if len(content) > max_bytes:
        raise malformed(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    reader = xlsx_table if is_workbook(content) else csv_table
    return reader(content, max_rows=max_rows, header_check=header_check)


# --- writing ---------------------------------------------------------------------------------

def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def csv_response(*, file_name: str, header: list[str],
                 rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A streamed CSV download (UTF-8 with a BOM, so spreadsheet programs read the accents),
    every cell escaped by `csv_cell`."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([csv_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
