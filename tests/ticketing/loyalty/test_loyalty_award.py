"""The award after a match (E6-F3): a point per attended ticket with an OIB, HOME and AWAY,
once however often it runs, and "You earned 1 point" to the credited account."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, NotFound
from core.models import AuditEvent, PushLog
from core.pii import keyed_hash
from seating.models import MatchType
from tests.ticketing.loyalty.conftest import closed
from tests.ticketing.test_checkout import valid_oib
from ticketing.loyalty.models import LoyaltyPoint
from ticketing.loyalty.services.award import loyalty_award
from ticketing.loyalty.tasks import loyalty_award_task, loyalty_awards_resume
from ticketing.models import OrderItem, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

PUSH = "loyalty_points_earned"


def award(match, capture):
    with capture(execute=True):
        return loyalty_award(match_id=match.pk)


@pytest.mark.parametrize("match_type", [MatchType.HOME, MatchType.AWAY])
def test_each_attended_ticket_with_an_oib_earns_one_point(
        make_fan, shop, attended, match_type, django_capture_on_commit_callbacks):
    fan = make_fan(11)
    sale = shop(match_type)
    tickets = attended(fan, sale, 2)  # the fan and a friend
    match = closed(sale[0])

    assert award(match, django_capture_on_commit_callbacks) == 2

    points = {p.ticket_id: p for p in LoyaltyPoint.objects.all()}
    assert set(points) == {t.pk for t in tickets}
    for ticket in tickets:
        point = points[ticket.pk]
        assert (point.oib_hash, point.match_id, point.points, point.earned_at) == (
            ticket.order_item.oib_hash, match.pk, 1, match.kick_off_time)
    assert points[tickets[0].pk].oib_hash == keyed_hash(valid_oib(11))


def test_tickets_not_attended_or_without_an_oib_earn_nothing(
        make_fan, shop, attended, django_capture_on_commit_callbacks):
    fan = make_fan(12)
    sale = shop()
    scanned, no_oib, not_scanned = attended(fan, sale, 3)
    OrderItem.objects.filter(pk=no_oib.order_item_id).update(oib="", oib_hash="")
    Ticket.objects.filter(pk=not_scanned.pk).update(status=TicketStatus.VALID, attended_at=None)
    match = closed(sale[0])

    assert award(match, django_capture_on_commit_callbacks) == 1

    assert list(LoyaltyPoint.objects.values_list("ticket_id", flat=True)) == [scanned.pk]


def test_running_it_again_awards_nothing_more_and_pushes_nothing_more(
        make_fan, shop, attended, django_capture_on_commit_callbacks, settings):
    settings.LOYALTY_AWARD_BATCH = 2  # several batches
    fans = [make_fan(20 + n) for n in range(3)]
    sale = shop()
    for fan in fans:
        attended(fan, sale)
    match = closed(sale[0])

    assert award(match, django_capture_on_commit_callbacks) == 3
    assert award(match, django_capture_on_commit_callbacks) == 0
    assert loyalty_award_task.delay(match.pk).get() == 0

    assert LoyaltyPoint.objects.count() == 3
    assert PushLog.objects.filter(notification_type=PUSH).count() == 3
    assert AuditEvent.objects.filter(action="loyalty.awarded").count() == 1


def test_a_ticket_cannot_hold_two_points(make_fan, shop, attended,
                                         django_capture_on_commit_callbacks):
    sale = shop()
    [ticket] = attended(make_fan(13), sale)
    award(closed(sale[0]), django_capture_on_commit_callbacks)

    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltyPoint.objects.create(oib_hash="x", ticket=ticket, match=sale[0],
                                    earned_at=timezone.now(), awarded_at=timezone.now())


def test_the_credited_account_is_told_it_earned_a_point(
        make_fan, shop, attended, django_capture_on_commit_callbacks):
    fan = make_fan(14)
    sale = shop(MatchType.AWAY)
    attended(fan, sale, 2)  # the friend's OIB has no account: their point waits for one
    match = closed(sale[0])

    award(match, django_capture_on_commit_callbacks)

    [push] = PushLog.objects.filter(notification_type=PUSH)
    assert push.user_id == fan.user.pk
    assert push.body == f"You earned 1 point for {match.home_team} v {match.away_team}."
    assert push.data_json == {"match_id": str(match.pk), "points": "1"}


def test_only_a_closed_match_is_awarded(make_fan, shop, attended):
    sale = shop()
    attended(make_fan(15), sale)

    with pytest.raises(Conflict) as refused:
        loyalty_award(match_id=sale[0].pk)
    assert (refused.value.code, refused.value.fields) == (
        "match_not_closed", {"match_id": [refused.value.detail]})
    with pytest.raises(NotFound):
        loyalty_award(match_id=999_999)
    assert not LoyaltyPoint.objects.exists()


def test_the_sweep_awards_closed_matches_the_closure_job_missed(
        make_fan, shop, attended, django_capture_on_commit_callbacks):
    missed, open_sale = shop(), shop()
    attended(make_fan(16), missed)
    attended(make_fan(17), open_sale)
    closed(missed[0])

    with django_capture_on_commit_callbacks(execute=True):
        assert loyalty_awards_resume() == 1

    assert list(LoyaltyPoint.objects.values_list("match_id", flat=True)) == [missed[0].pk]
    assert loyalty_awards_resume() == 0
