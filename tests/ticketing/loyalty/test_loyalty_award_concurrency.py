"""The award racing itself on PostgreSQL (E6-F3): two closures, a retried task and the sweep
may run it at once; every ticket still earns one point and its account hears once."""

import pytest

from core.models import PushLog
from seating.models import Match, MatchStatus
from tests.concurrency import run_together
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import buyer_profile, valid_oib
from ticketing.loyalty.models import LoyaltyPoint
from ticketing.loyalty.services.award import loyalty_award
from ticketing.models import Ticket, TicketStatus
from ticketing.services.cart import cart_add
from ticketing.services.checkout import checkout_submit, order_pay_local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def local_payments(settings):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


def attended_match(make_user, fans: int) -> Match:
    """A closed match where `fans` fans (each with an OIB) came through the gates."""
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 2)
    for n in range(fans):
        user = make_user()
        buyer_profile(user, oib=valid_oib(60_000 + n))
        cart = cart_add(user=user, match_id=match.id, zone_id=zone.id, quantity=1).cart
        order = checkout_submit(user=user, cart_id=cart.id, holders=[{}]).order
        order_pay_local(user=user, order_id=order.id)
    Ticket.objects.filter(match=match).update(status=TicketStatus.ATTENDED)
    Match.objects.filter(pk=match.pk).update(status=MatchStatus.CLOSED)
    return match


def test_awards_racing_each_other_award_each_ticket_once(make_user, email_templates, settings):
    settings.LOYALTY_AWARD_BATCH = 3  # batches interleave between the runs
    match = attended_match(make_user, 12)

    results = run_together(4, lambda i: loyalty_award(match_id=match.pk))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 12
    assert LoyaltyPoint.objects.filter(match=match).count() == 12
    pushes = PushLog.objects.filter(notification_type="loyalty_points_earned")
    assert pushes.count() == 12
    assert pushes.values("user").distinct().count() == 12
