"""Petrol background work: the sweeps that keep PINs and reservations' statuses true when no
one touches the quota (every lookup and confirmation settles them first anyway)."""

from celery import shared_task

from quotas.petrol.services import pins, sales


@shared_task
def petrol_expire() -> dict:
    """Every 30 s (CELERY_BEAT_SCHEDULE "petrol-expiry"): lapsed reservations give their seats
    back to the Petrol quota; PINs past their expiry become EXPIRED."""
    return {"reservations": sales.reservations_expire(), "pins": pins.pins_expire()}
