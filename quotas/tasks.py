"""Quota background work. Tasks take primary keys (or nothing) and call services."""

from celery import shared_task

from quotas.services import claims


@shared_task
def claims_expire() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE "quota-claim-expiry"): claims whose hold lapsed give
    their seats back to the quota. Every quota write releases its own lapsed claims first, so
    this only makes statuses and the live pages catch up when nobody touches the quota."""
    return claims.claims_expire()
