"""Back-office seat status changes: one seat at a time, or in bulk through a BulkStatusJob that a
Celery task works through in batches (seating.services.bulk_status). Every change goes through
inventory.seats_transition (TRANSITIONS, row locks, versions, SeatAuditLog) and then drops the
cached status summary."""

from dataclasses import dataclass

from django.db import transaction

from core.audit import audit_record
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
from seating.tasks import bulk_status_run

# Statuses an admin sets by hand. RESERVED, SOLD and ALLOCATED belong to carts, orders and
# quota allocation: setting them without a hold, an order or a quota would orphan the seat.
ADMIN_TARGET_STATUSES = frozenset(ADMIN_STATUSES | {SeatStatus.AVAILABLE})


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
    seat = SeatInventory.objects.filter(pk=inventory_id).only("id", "match_id", "status").first()
    if seat is None:
        raise NotFound(f"No seat {inventory_id}.")
    with transaction.atomic():  # the change and its audit event, or neither
        result = seats_transition(inventory_ids=[inventory_id], to_status=to_status,
                                  reason=reason.strip(), actor=actor)
        if result.skipped:
            current = result.skipped[0]["status"]
            raise InvalidTransition(f"A seat cannot go from {current} to {to_status}.",
                                    field="status")
        audit_record(actor=actor, action="seat.status_changed", obj=seat,
                     before={"status": seat.status, "held": bool(result.held)},
                     after={"status": to_status, "reason": reason.strip()})
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
        audit_record(actor=actor, action="seats.bulk_status_requested", obj=job,
                     after={"match_id": match_id, "status": to_status, "seats": len(ids),
                            "reason": reason.strip()})
        enqueue_on_commit(bulk_status_run, job.id)
    return job
