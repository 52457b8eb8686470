"""What every add-to-cart reads about a match besides the fan: the match (visible to fans), its
active sales phases and a zone's sectors on sale. On an on-sale day these are the same for every
request, so each web process keeps them for SALE_CONTEXT_SECONDS (0 reads them every time, as
the tests do).

Only an admin's edit can lag by that much (a price, a phase's rules, a match taken off sale),
and never so that a fan over-buys: the allocator re-checks every sector's status under its
lock, and which phase runs is decided on each request from the phases' own start and end.
A change saved through the ORM in this process clears the cache at once."""

import time
from collections.abc import Callable

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from seating.models import Match, MatchSector, PriceCategory, SalesPhase
from ticketing.selectors import catalog

_entries: dict[tuple, tuple[float, object]] = {}


def _cached(key: tuple, read: Callable[[], object]):
    seconds = settings.SALE_CONTEXT_SECONDS
    hit = _entries.get(key)
    if seconds and hit is not None and hit[0] > time.monotonic():
        return hit[1]
    value = read()
    if seconds:
        _entries[key] = (time.monotonic() + seconds, value)
    return value


def sale_match(*, match_id: int) -> Match:
    """The match if fans may see it (404 otherwise). Shared: do not modify it."""
    return _cached(("match", match_id), lambda: catalog.match_catalog_get(match_id=match_id))


def sale_phases(*, match: Match) -> list[SalesPhase]:
    """The match's active sales phases, earliest first."""
    return _cached(("phases", match.id), lambda: list(
        SalesPhase.objects.filter(match=match, is_active=True).order_by("start_at")))


def sale_zone_sectors(*, match_id: int, zone_id: int) -> list[MatchSector]:
    """The zone's sectors on sale, with their price category, in display order."""
    return _cached(("zone", match_id, zone_id),
                   lambda: catalog.zone_sectors(match_id=match_id, zone_id=zone_id))


def sale_context_clear(**kwargs) -> None:
    _entries.clear()


for _model in (Match, SalesPhase, MatchSector, PriceCategory):
    post_save.connect(sale_context_clear, sender=_model, dispatch_uid=f"sale_context_{_model}")
    post_delete.connect(sale_context_clear, sender=_model,
                        dispatch_uid=f"sale_context_del_{_model}")
