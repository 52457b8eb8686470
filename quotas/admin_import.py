"""The quota CSV import in Django Admin through django-import-export (E7-F2/F3): upload, a
preview of every line with its errors, confirm. A custom format reads the file with the API's
own reader and the resource hands the rows to the same import service, so seats are always
allocated through `quota_create`."""

import tablib
from django import forms
from import_export import fields as ie_fields
from import_export import resources
from import_export.formats.base_formats import Format
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.results import Result, RowResult

from quotas.models import Quota
from quotas.services.creation import OPEN_MATCH_STATUSES
from quotas.services.imports import (
    MAX_FILE_BYTES,
    OPTIONAL,
    REQUIRED,
    CsvRow,
    csv_parse,
    rows_import,
)
from seating.models import Match

COLUMNS = (*REQUIRED, *OPTIONAL)


class QuotaCsv(Format):
    """The uploaded bytes go to our own reader (BOM, `,` or `;` sniffed, the file's line
    numbers, the 50-line limit) instead of tablib's, so the admin and the API read a file the
    same way; a malformed file becomes the form's error."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return "csv"

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv"

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return False

    def create_dataset(self, in_stream):
        content = in_stream if isinstance(in_stream, bytes) else in_stream.encode()
        dataset = tablib.Dataset(headers=["line", "extra_cells", *COLUMNS])
        for row in csv_parse(content):
            dataset.append([row.line, row.extra_cells, *(row.values.get(c, "") for c in COLUMNS)])
        return dataset


def _open_matches():
    return Match.objects.filter(is_deleted=False, status__in=OPEN_MATCH_STATUSES).order_by(
        "kick_off_time")


class QuotaImportForm(ImportForm):
    match_ids = forms.ModelMultipleChoiceField(
        queryset=_open_matches(), label="Matches",
        help_text="One quota per match for every line of the file (E7-F3).")

    def clean_import_file(self):
        """Refused by its size before django-import-export reads it all into memory."""
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_FILE_BYTES // 1024} KB.")
        return upload


class QuotaConfirmImportForm(ConfirmImportForm):
    match_ids = forms.ModelMultipleChoiceField(queryset=_open_matches(),
                                               widget=forms.MultipleHiddenInput)


class QuotaImportResource(resources.ModelResource):
    """Rows go to `rows_import` (the service the API uses: `quota_create` per row and match,
    seats allocated, one transaction); the dry run is the same import rolled back."""

    email = ie_fields.Field(column_name="email")
    sectors = ie_fields.Field(column_name="sectors (codes separated by |)")
    quantity = ie_fields.Field(column_name="quantity")
    optional = ie_fields.Field(column_name="optional: " + ", ".join(OPTIONAL))

    class Meta:
        model = Quota
        name = "Quotas (CSV)"
        fields = ("email", "sectors", "quantity", "optional")

    def __init__(self, form=None, **kwargs):
        super().__init__(**kwargs)
        data = getattr(form, "cleaned_data", None) or {}
        self.match_ids = [m.pk for m in data.get("match_ids", [])]

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        rows = [CsvRow(line=int(r["line"]), extra_cells=int(r["extra_cells"]),
                       values={c: r[c] for c in COLUMNS}) for r in dataset.dict]
        outcome = rows_import(actor=kwargs.get("user"), file_name=kwargs.get("file_name"),
                              rows=rows, match_ids=self.match_ids, dry_run=dry_run)
        result = Result()
        result.diff_headers = ["Line", "Email", "Sectors", "Quantity", "Outcome"]
        for row, done in zip(rows, outcome.rows, strict=True):
            row_result = RowResult()
            row_result.import_type = (RowResult.IMPORT_TYPE_NEW if done.ok
                                      else RowResult.IMPORT_TYPE_SKIP)
            if done.ok:
                text = (f"Created quota(s) {', '.join(map(str, done.quota_ids))}"
                        if done.quota_ids else f"OK: {len(self.match_ids)} quota(s)")
                text += "".join(f" — warning: {w['warning']}" for w in done.warnings)
            else:
                text = "; ".join(f"{e['field'] or 'line'}: {e['error']}"
                                 + (f" (match {e['match_id']})" if "match_id" in e else "")
                                 for e in done.errors)
            row_result.diff = [row.line, row.values["email"], row.values["sectors"],
                               row.values["quantity"], text]
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        result.total_rows = len(rows)
        result.outcome = outcome
        return result


