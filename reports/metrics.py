"""The sale's gauges on /metrics (core.metrics loads `SaleGauges` through
settings.METRICS_COLLECTORS), read at every scrape for the matches on sale only:

- `hns_queue_waiting{match_id}`: fans waiting in the room (queueing.services.queue_size, the
  Redis sorted set's size, or a COUNT without Redis), for each active waiting room;
- `hns_queue_admissions_per_minute{match_id}`: fans admitted in the last 60 s (a COUNT over the
  admitted index; the rate queueing publishes for estimates falls back to the configured rate
  when nobody was admitted, so a paused room would show 100/min);
- `hns_seats_held{match_id}`: seats RESERVED and standing places HELD, unexpired (carts, quota
  claims, petrol reservations);
- `hns_sale_gauge_up{gauge}`: 1 when a gauge was read, 0 when its store was down and it was
  left out of this scrape (logged), so an empty room and an unreadable one look different.

"On sale": a published or active match before kick-off with a sales phase running now, or with
an active waiting room (fans queue before the sale opens). Four queries and one Redis call per
room, whatever the traffic."""

import logging
from datetime import timedelta

from django.db import DatabaseError
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from core.outages import REDIS_DOWN
from queueing.models import QueueConfig, QueueEntry
from queueing.services import queue_size
from seating.models import (
    GeneralAdmissionHold,
    HoldStatus,
    Match,
    MatchStatus,
    SalesPhase,
    SeatInventory,
    SeatStatus,
)

logger = logging.getLogger(__name__)

ADMISSION_WINDOW = timedelta(seconds=60)


def _matches_on_sale(now) -> dict[int, bool]:
    """{match id: whether its waiting room is active} for the matches on sale."""
    running = SalesPhase.objects.filter(match=OuterRef("pk"), is_active=True,
                                        start_at__lte=now, end_at__gt=now)
    room = QueueConfig.objects.filter(match=OuterRef("pk"), is_active=True)
    rows = (Match.objects
            .filter(status__in=(MatchStatus.PUBLISHED, MatchStatus.ACTIVE), is_deleted=False,
                    kick_off_time__gt=now)
            .annotate(selling=Exists(running), queueing=Exists(room))
            .filter(Q(selling=True) | Q(queueing=True))
            .values_list("id", "queueing"))
    return dict(rows)


def _per_match(name: str, documentation: str, values: dict[int, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["match_id"])
    for match_id, value in sorted(values.items()):
        family.add_metric([str(match_id)], value)
    return family


def _seats_held(matches: dict[int, bool], now) -> GaugeMetricFamily:
    ids = list(matches)
    live = Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=now)
    held = dict.fromkeys(ids, 0)
    seats = (SeatInventory.objects.filter(live, match_id__in=ids, status=SeatStatus.RESERVED)
             .values("match_id").annotate(n=Count("*")).values_list("match_id", "n"))
    standing = (GeneralAdmissionHold.objects
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now),
                        match_sector__match_id__in=ids, status=HoldStatus.HELD)
                .values("match_sector__match_id").annotate(n=Sum("quantity"))
                .values_list("match_sector__match_id", "n"))
    for match_id, n in [*seats, *standing]:
        held[match_id] += n
    return _per_match("hns_seats_held", "Seats and standing places held (carts, quota claims, "
                      "petrol reservations), unexpired, per match on sale.", held)


def _queue_rooms(matches: dict[int, bool]) -> list[int]:
    return [match_id for match_id, queueing in matches.items() if queueing]


def _admissions(matches: dict[int, bool], now) -> GaugeMetricFamily:
    rooms = _queue_rooms(matches)
    admitted = dict.fromkeys(rooms, 0)
    admitted.update(QueueEntry.objects
                    .filter(match_id__in=rooms, admitted_at__gt=now - ADMISSION_WINDOW)
                    .values("match_id").annotate(n=Count("*")).values_list("match_id", "n"))
    return _per_match("hns_queue_admissions_per_minute",
                      "Fans admitted from the waiting room in the last 60 seconds.", admitted)


def _queue_waiting(matches: dict[int, bool], now) -> GaugeMetricFamily:
    waiting = {match_id: queue_size(match_id) for match_id in _queue_rooms(matches)}
    return _per_match("hns_queue_waiting", "Fans waiting in the match's waiting room.", waiting)


GAUGES = {"seats_held": _seats_held, "queue_admissions": _admissions,
          "queue_waiting": _queue_waiting}


class SaleGauges:
    """A prometheus_client collector. A gauge whose database or Redis is down is left out
    (logged, `hns_sale_gauge_up` 0): the scrape itself always answers."""

    def collect(self):
        now = timezone.now()
        up = GaugeMetricFamily("hns_sale_gauge_up", "1 when the gauge was read at this scrape, "
                               "0 when its database or Redis was down.", labels=["gauge"])
        try:
            matches = _matches_on_sale(now)
        except DatabaseError as exc:
            logger.warning("Metrics: the matches on sale could not be read: %s", exc)
            matches = None
        for name, read in GAUGES.items():
            family = None
            if matches is not None:
                try:
                    family = read(matches, now)
                except (*REDIS_DOWN, DatabaseError) as exc:
                    logger.warning("Metrics: gauge %s left out of this scrape: %s", name, exc)
            up.add_metric([name], 0 if family is None else 1)
            if family is not None:
                yield family
        yield up
