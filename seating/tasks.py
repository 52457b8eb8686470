"""Seating background work. Tasks take primary keys and call a service."""

from celery import shared_task

from seating.services.bulk_status import bulk_status_job_run
from seating.services.inventory import ga_holds_release_expired, holds_release_expired


@shared_task
def bulk_status_run(job_id: int) -> None:
    """Process a BulkStatusJob in batches (progress is written to the job as it goes)."""
    bulk_status_job_run(job_id=job_id)


@shared_task
def holds_sweep() -> dict:
    """Every minute (CELERY_BEAT_SCHEDULE): return expired holds to their release status with
    audit rows. Allocation does not depend on it: it releases a sector's expired holds itself."""
    return {"seats": holds_release_expired(), "places": ga_holds_release_expired()}
