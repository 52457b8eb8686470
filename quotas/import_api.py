"""POST /api/admin/quotas/import (E7-F2/F3): a quota CSV for one or several matches.

multipart/form-data: `file` (the CSV) and `match_ids` (repeated fields and/or comma-separated;
`match_id` is accepted too). The answer lists the batch, its counts, the quotas created and
every invalid row with its line number; the file format is described in quotas.services.imports."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.bounds import ITEMS_MAX
from core.errors import DomainError
from quotas.api import QuotaManagerView
from quotas.services.imports import (
    MAX_FILE_BYTES,
    ImportOutcome,
    match_ids_parse,
    quotas_import,
)


class ImportIn(serializers.Serializer):
    file = serializers.FileField()
    match_ids = serializers.ListField(child=serializers.CharField(max_length=1000),
                                      required=False, max_length=ITEMS_MAX,
                                      help_text="Repeat the field or separate ids by commas")
    match_id = serializers.IntegerField(required=False)
    allow_repeat = serializers.BooleanField(required=False, default=False,
                                            help_text="Import a file already imported")


def import_view(outcome: ImportOutcome) -> dict:
    batch = outcome.batch
    return {"batch_id": batch.pk if batch else None, "file_name": batch and batch.file_name,
            "match_ids": outcome.match_ids, "total_rows": len(outcome.rows),
            "successful_rows": outcome.successful_rows, "failed_rows": outcome.failed_rows,
            "quotas_created": len(outcome.quota_ids), "quota_ids": outcome.quota_ids,
            "errors": outcome.errors, "warnings": outcome.warnings,
            "rows": [{"line": r.line, "email": r.email, "quota_ids": r.quota_ids,
                      "status": "created" if r.ok else "failed"} for r in outcome.rows]}


@extend_schema(tags=["admin: quotas"])
class QuotaImportView(QuotaManagerView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": ImportIn})
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("Upload the CSV as the multipart field `file`.",
                              code="file_missing", field="file")
        match_ids = match_ids_parse([*request.data.getlist("match_ids"),
                                     *request.data.getlist("match_id")])
        outcome = quotas_import(actor=request.user, file_name=upload.name,
                                content=upload.read(MAX_FILE_BYTES + 1), match_ids=match_ids,
                                allow_repeat=str(request.data.get("allow_repeat", "")).lower()
                                in ("1", "true", "yes", "on"), http_request=request)
        return Response(import_view(outcome), status=status.HTTP_201_CREATED)
