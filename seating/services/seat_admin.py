"""Back-office seat status changes: one seat at a time, or in bulk through a BulkStatusJob that a
Celery task works through in batches. Every change goes through inventory.seats_transition
(TRANSITIONS, row locks, versions, SeatAuditLog) and then drops the cached status summary."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import DomainError, InvalidTransition, NotFound
from core.transactions import enqueue_on_commit
from seating.models import (
    ADMIN_STATUSES,
    BulkStatusJob,
    Match,
    SeatInventory,
    SeatStatus,
)
from seating.selectors import bulk_selection_ids, status_summary_invalidate
from seating.services.inventory import seats_transition

logger = logging.getLogger(__name__)

# Statuses an admin sets by hand. RESERVED, SOLD and ALLOCATED belong to carts, orders and
# quota allocation: setting them without a hold, an order or a quota would orphan the seat.
ADMIN_TARGET_STATUSES = frozenset(ADMIN_STATUSES | {SeatStatus.AVAILABLE})
BULK_BATCH_SIZE = 500


def _check_target(status: str, reason: str) -> None:
    if not (reason or "").strip():
        raise DomainError("A reason is required for a status change.", field="reason")
    if status not in ADMIN_TARGET_STATUSES:
        raise DomainError(f"{status} is set by sales and allocation, not by hand.",
                          code="invalid_status", field="status")


@dataclass
class SeatStatusChange:
    seat: SeatInventory
    warning: str | None = None


def seat_status_set(*, inventory_id: int, to_status: str, reason: str,
                    actor) -> SeatStatusChange:
    """Move one seat to `to_status`. A seat held in a cart is changed anyway (the admin decides)
    but the result carries a warning so the admin knows a fan's cart just lost it."""
    _check_target(to_status, reason)
    seat = SeatInventory.objects.filter(pk=inventory_id).only("id", "match_id").first()
    if seat is None:
        raise NotFound(f"No seat {inventory_id}.")
    result = seats_transition(inventory_ids=[inventory_id], to_status=to_status,
                              reason=reason.strip(), actor=actor)
    if result.skipped:
        current = result.skipped[0]["status"]
        raise InvalidTransition(f"A seat cannot go from {current} to {to_status}.",
                                field="status")
    status_summary_invalidate(seat.match_id)
    warning = None
    if result.held:
        warning = "The seat was held in a cart; that hold has been cancelled."
    return SeatStatusChange(seat=SeatInventory.objects.select_related("match_sector")
                            .get(pk=inventory_id), warning=warning)


def bulk_status_job_create(*, match_id: int, to_status: str, reason: str, actor,
                           seat_ids: list[int] | None = None, sector: str | None = None,
                           from_row: str | None = None, to_row: str | None = None,
                           current_statuses: list[str] | None = None) -> BulkStatusJob:
    """Resolve the selection now (so `total` is fixed and the job changes exactly the seats the
    admin saw), store it on a PENDING job and hand the job to Celery after commit."""
    _check_target(to_status, reason)
    if not Match.objects.filter(pk=match_id).exists():
        raise NotFound(f"No match {match_id}.")
    if not seat_ids and not sector:
        raise DomainError("Choose seat_ids or a sector.", field="sector")
    ids = bulk_selection_ids(match_id=match_id, seat_ids=seat_ids, sector=sector,
                             from_row=from_row, to_row=to_row, current_statuses=current_statuses)
    selection = {"seat_ids": seat_ids or [], "sector": sector, "from_row": from_row,
                 "to_row": to_row, "current_status": current_statuses or [],
                 "inventory_ids": ids}
    with transaction.atomic():
        job = BulkStatusJob.objects.create(match_id=match_id, requested_by=actor,
                                           target_status=to_status, reason=reason.strip(),
                                           selection_json=selection, total=len(ids))
        from seating.tasks import bulk_status_run  # tasks import this module

        enqueue_on_commit(bulk_status_run, job.id)
    return job


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

