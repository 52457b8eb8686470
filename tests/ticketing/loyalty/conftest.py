"""Fans with an OIB on their profile and attended tickets, bought the way a fan buys them (cart,
checkout, the local payment). The attendance import (E2-F9) and the match closure are other
issues, so a test marks what they will leave behind: tickets ATTENDED, the match CLOSED."""

import pytest
from django.utils import timezone

from core.roles import Role
from seating.models import Match, MatchStatus, MatchType
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import buyer_profile, local_payments, valid_oib  # noqa: F401
from tests.ticketing.test_order_payment import ordered, pay
from ticketing.loyalty.services.award import loyalty_award
from ticketing.models import Ticket, TicketStatus


@pytest.fixture
def make_fan(login):
    """make_fan(n) -> an API client of a fan whose profile has the OIB valid_oib(n)."""

    def make(n: int):
        client = login(f"fan{n}@example.com")
        buyer_profile(client.user, oib=valid_oib(n))
        return client

    return make


@pytest.fixture
def shop(db):
    """shop(match_type) -> (match, zone): a match on sale with one zone of 20 seats."""

    def make(match_type=MatchType.HOME, **fields):
        match = on_sale_match(match_type=match_type, **fields)
        zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 2)
        return match, zone

    return make


@pytest.fixture
def attended(django_capture_on_commit_callbacks):
    """attended(fan, (match, zone), quantity=1) -> the fan's new tickets, scanned in. The first
    ticket's holder is the fan (their profile); the others are friends with another OIB."""

    def make(client, sale, quantity: int = 1) -> list[Ticket]:
        match, zone = sale
        order = ordered(client, match, zone, quantity)
        pay(client, order, django_capture_on_commit_callbacks)
        Ticket.objects.filter(order=order).update(status=TicketStatus.ATTENDED,
                                                  attended_at=timezone.now())
        return list(Ticket.objects.filter(order=order).select_related("order_item"))

    return make


def closed(match: Match, kick_off_time=None) -> Match:
    """The match as its closure leaves it (played at `kick_off_time`, if given)."""
    fields = {"status": MatchStatus.CLOSED}
    if kick_off_time is not None:
        fields["kick_off_time"] = kick_off_time
    Match.objects.filter(pk=match.pk).update(**fields)
    match.refresh_from_db()
    return match


@pytest.fixture
def earn(shop, attended, django_capture_on_commit_callbacks):
    """earn(fan, points, match_type) -> the matches that earned them: one attended ticket per
    match, awarded after it closed."""

    def make(client, points: int = 1, match_type=MatchType.HOME, kick_off_time=None):
        matches = []
        for _ in range(points):
            sale = shop(match_type)
            attended(client, sale)
            match = closed(sale[0], kick_off_time)
            with django_capture_on_commit_callbacks(execute=True):
                loyalty_award(match_id=match.pk)
            matches.append(match)
        return matches

    return make


@pytest.fixture
def staff(make_user, back_office):
    """staff(role) -> a back-office client signed in with that role."""

    def make(role: str):
        return back_office(make_user(roles=[role]))

    return make


@pytest.fixture
def support(staff):
    return staff(Role.SUPPORT_AGENT)


@pytest.fixture
def match_manager(staff):
    return staff(Role.MATCH_MANAGER)
