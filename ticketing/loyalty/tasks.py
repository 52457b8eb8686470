from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from seating.models import MatchStatus
from ticketing.loyalty.services.award import loyalty_award
from ticketing.models import Ticket, TicketStatus


@shared_task(acks_late=True)
def loyalty_award_task(match_id: int) -> int:
    """Queued by the match's closure (after its commit); safe to run any number of times."""
    return loyalty_award(match_id=match_id)


@shared_task
def loyalty_awards_resume(*, days: int = 30) -> int:
    """Closed matches of the last `days` that still have attended tickets with an OIB and no
    point (the closure's task was lost, or attendance was imported after it) run again."""
    since = timezone.now() - timedelta(days=days)
    ids = list(Ticket.objects.filter(status=TicketStatus.ATTENDED, loyalty_point__isnull=True,
                                     match__status=MatchStatus.CLOSED,
                                     match__kick_off_time__gt=since)
               .exclude(order_item__oib_hash="").values_list("match_id", flat=True)
               .distinct().order_by("match_id"))
    for match_id in ids:
        loyalty_award_task.delay(match_id)
    return len(ids)
