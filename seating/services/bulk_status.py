"""A BulkStatusJob worked through in batches by the `bulk_status_run` task; the job itself is
created by seat_admin.bulk_status_job_create, which resolves the selection."""

import logging

from django.db.models import F
from django.utils import timezone

from seating.models import BulkStatusJob
from seating.selectors import status_summary_invalidate
from seating.services.inventory import seats_transition

logger = logging.getLogger(__name__)
BULK_BATCH_SIZE = 500


def bulk_status_job_run(*, job_id: int, batch_size: int | None = None) -> BulkStatusJob | None:
    """Work through a PENDING job in batches, each its own transaction, recording progress after
    each. Held seats and seats whose status does not allow the change are skipped and listed.
    Returns None when the job was not PENDING (another worker claimed it)."""
    claimed = BulkStatusJob.objects.filter(pk=job_id, status=BulkStatusJob.Status.PENDING) \
        .update(status=BulkStatusJob.Status.RUNNING)
    if claimed != 1:
        return None
    job = BulkStatusJob.objects.select_related("requested_by").get(pk=job_id)
    size = batch_size or BULK_BATCH_SIZE
    ids = job.selection_json.get("inventory_ids", [])
    from_statuses = set(job.selection_json.get("current_status") or []) or None
    skipped = list(job.skipped_json)
    try:
        for start in range(job.processed, len(ids), size):
            batch = ids[start:start + size]
            result = seats_transition(inventory_ids=batch, to_status=job.target_status,
                                      reason=job.reason, actor=job.requested_by,
                                      from_statuses=from_statuses, skip_held=True)
            # Seats deleted since the job was created are neither changed nor skipped by the
            # transition; list them so processed == changed + skipped stays true.
            seen = set(result.changed) | {s["id"] for s in result.skipped}
            missing = [{"id": i, "status": None, "reason": "no longer exists"}
                       for i in batch if i not in seen]
            skipped += result.skipped + missing
            BulkStatusJob.objects.filter(pk=job_id).update(
                processed=F("processed") + len(batch), changed=F("changed") + len(result.changed),
                skipped_json=skipped)
            status_summary_invalidate(job.match_id)
    except Exception as exc:
        logger.exception("bulk status job %s failed", job_id)
        BulkStatusJob.objects.filter(pk=job_id).update(
            status=BulkStatusJob.Status.FAILED, error_message=str(exc)[:2000],
            finished_at=timezone.now())
        raise
    BulkStatusJob.objects.filter(pk=job_id).update(status=BulkStatusJob.Status.DONE,
                                                   finished_at=timezone.now())
    job.refresh_from_db()
    return job

