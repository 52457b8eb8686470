"""The award after a match (E6-F3): one point per ATTENDED ticket whose holder gave an OIB, for
HOME and AWAY matches alike, exactly once however often (or however concurrently) it runs.

Each batch is one INSERT … ON CONFLICT (ticket_id) DO NOTHING RETURNING: the unique ticket
decides who wrote a point, and RETURNING names only the points this statement wrote, so the
pushes ("You earned 1 point"), logged in the same transaction, go out once per point too. On
PostgreSQL a racing run's insert waits for the first one's commit on the unique index and then
skips its rows. A crash loses at most the batch in flight; the next run starts over and skips
what is done."""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, NotFound
from core.sql import db_datetime, marks
from seating.models import Match, MatchStatus
from ticketing.loyalty.models import LoyaltyPoint
from ticketing.loyalty.services.notify import notify_points_earned
from ticketing.models import Ticket, TicketStatus

COLUMNS = ("oib_hash", "ticket_id", "match_id", "points", "earned_at", "awarded_at")


def _awardable(match_id: int, after_id: int, batch: int) -> list[tuple[int, str]]:
    """(ticket id, holder OIB hash) of attended tickets with an OIB and no point yet."""
    return list(Ticket.objects.filter(match_id=match_id, status=TicketStatus.ATTENDED,
                                      pk__gt=after_id, loyalty_point__isnull=True)
                .exclude(order_item__oib_hash="").order_by("pk")
                .values_list("pk", "order_item__oib_hash")[:batch])


def _insert(match: Match, tickets: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Write a point per ticket; returns (ticket id, OIB hash) of those this call wrote."""
    earned, now = db_datetime(match.kick_off_time), db_datetime(timezone.now())
    params = [value for ticket_id, oib_hash in tickets
              for value in (oib_hash, ticket_id, match.pk, 1, earned, now)]
    row = f"({marks(COLUMNS)})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LoyaltyPoint._meta.db_table} ({', '.join(COLUMNS)})"
            f" VALUES {', '.join([row] * len(tickets))}"
            " ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id, oib_hash", params)
        return list(cursor.fetchall())


def loyalty_award(*, match_id: int) -> int:
    """Award the points of a CLOSED match; returns how many this run awarded (0 on a rerun)."""
    match = Match.objects.filter(pk=match_id).first()
    if match is None:
        raise NotFound(f"Match {match_id} does not exist.", code="match_not_found",
                       field="match_id")
    if match.status != MatchStatus.CLOSED:
        raise Conflict(f"Loyalty points are awarded once the match is closed; it is "
                       f"{match.status}.", code="match_not_closed", field="match_id")
    awarded, last = 0, 0
    while tickets := _awardable(match.pk, last, settings.LOYALTY_AWARD_BATCH):
        last = tickets[-1][0]
        with transaction.atomic():
            written = _insert(match, tickets)
            notify_points_earned(match, written)
        awarded += len(written)
    if awarded:
        audit_record(actor=None, action="loyalty.awarded", obj=match,
                     after={"points": awarded})
    return awarded
