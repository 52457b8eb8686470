"""Ticketing background work. Tasks take primary keys (or nothing) and call services."""

from celery import shared_task

from ticketing.services import cart, checkout


@shared_task
def carts_expire() -> int:
    """Every 30 s (CELERY_BEAT_SCHEDULE "cart-expiry"): open carts past their expiry become
    EXPIRED and their seats go back. The seats are free for others before this runs (an
    expired hold counts as available); this makes the cart's status and the audit say so."""
    return cart.carts_expire()


@shared_task
def orders_expire() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE "order-expiry"): unpaid orders whose hold lapsed."""
    return checkout.orders_expire()
