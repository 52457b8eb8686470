"""Loyalty tiers of a sales phase (E6-F2): stored in its eligibility rules, checked against the
published schema, enforced at add-to-cart, and never above the 4-ticket cap per match."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from seating.models import MatchStatus, PhaseType, SalesPhase
from tests.seating.factories import make_match
from tests.ticketing.test_cart import add, seated_zone
from tests.ticketing.test_cart_eligibility import assert_refused, phase_match
from tests.ticketing.test_order_payment import ordered, pay
from ticketing.models import Order, OrderStatus
from ticketing.services.eligibility import FanStanding, phase_ticket_limit

pytestmark = pytest.mark.django_db

TIERS = [{"min_points": 1, "ticket_limit": 1}, {"min_points": 2, "ticket_limit": 3}]


def phase_body(**fields):
    now = timezone.now()
    return {"phase_type": "LOYALTY", "name": "Presale", "start_at": (now + timedelta(days=1))
            .isoformat(), "end_at": (now + timedelta(days=3)).isoformat(), **fields}


# --- configuration ----------------------------------------------------------------------------

def test_tiers_are_stored_in_the_phase_rules(match_manager):
    match = make_match()
    rules = {"loyalty_tiers": [{"min_points": 10, "ticket_limit": 2},
                               {"min_points": 30, "ticket_limit": 4}]}

    response = match_manager.post(f"/api/admin/matches/{match.pk}/sales-phases",
                                  phase_body(eligibility_rules_json=rules), format="json")

    assert response.status_code == 201, response.content
    assert SalesPhase.objects.get(match=match).eligibility_rules_json == rules


@pytest.mark.parametrize(("tiers", "message"), [
    ([], "$.loyalty_tiers: [] should be non-empty"),
    ([{"min_points": -1, "ticket_limit": 2}],
     "$.loyalty_tiers[0].min_points: -1 is less than the minimum of 0"),
    ([{"min_points": 5}], "$.loyalty_tiers[0]: 'ticket_limit' is a required property"),
    ([{"min_points": 5, "ticket_limit": 0}],
     "$.loyalty_tiers[0].ticket_limit: 0 is less than the minimum of 1"),
    ([{"min_points": 5, "ticket_limit": 2, "vip": True}],
     "$.loyalty_tiers[0]: Additional properties are not allowed ('vip' was unexpected)"),
    ([{"min_points": 5, "ticket_limit": 2}, {"min_points": 5, "ticket_limit": 4}],
     "$.loyalty_tiers[1].min_points: 5 is the threshold of an earlier tier"),
    ([{"min_points": 5, "ticket_limit": 6}],
     "$.loyalty_tiers[0].ticket_limit: 6 is above the per-match cap of 4"),
])
def test_tiers_outside_the_rules_are_refused_naming_the_path(match_manager, tiers, message):
    match = make_match()

    response = match_manager.post(f"/api/admin/matches/{match.pk}/sales-phases",
                                  phase_body(eligibility_rules_json={"loyalty_tiers": tiers}),
                                  format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "eligibility_rules_invalid"
    assert body["fields"]["eligibility_rules_json"] == [message]


# --- enforcement ------------------------------------------------------------------------------

@pytest.mark.parametrize(("points", "limit"), [(0, 0), (1, 1), (2, 3), (7, 3)])
def test_the_fans_tier_sets_their_limit(points, limit):
    phase = SalesPhase(ticket_limit=4, eligibility_rules_json={"loyalty_tiers": TIERS})

    assert phase_ticket_limit(phase, FanStanding(loyalty_points=points)) == limit


def test_a_tier_never_lifts_the_phase_or_match_cap(settings):
    phase = SalesPhase(ticket_limit=2, eligibility_rules_json={
        "loyalty_tiers": [{"min_points": 0, "ticket_limit": 4}]})
    assert phase_ticket_limit(phase, FanStanding()) == 2
    settings.MAX_TICKETS_PER_FAN_PER_MATCH = 3  # lowered after the tiers were set
    phase.ticket_limit = 4
    assert phase_ticket_limit(phase, FanStanding()) == 3


def test_a_fan_below_the_lowest_tier_cannot_buy(make_fan):
    match = phase_match(PhaseType.LOYALTY, {"loyalty_tiers": TIERS})
    zone, _ = seated_zone(match)

    detail = assert_refused(add(make_fan(41), match, zone), 403, "not_eligible", "loyalty_tiers")
    assert detail == ('The sales phase "LOYALTY phase" needs at least 1 loyalty points (its '
                      "lowest tier); you have 0.")


@pytest.mark.parametrize(("points", "limit"), [(1, 1), (2, 3)])
def test_a_fan_buys_up_to_their_tiers_limit(make_fan, earn, points, limit):
    fan = make_fan(42)
    earn(fan, points)
    match = phase_match(PhaseType.LOYALTY, {"loyalty_tiers": TIERS})
    zone, _ = seated_zone(match, ["XXXXXX"])

    assert add(fan, match, zone, limit).status_code == 201
    detail = assert_refused(add(fan, match, zone, 1), 422, "phase_ticket_limit_reached",
                            "quantity")
    assert detail == (f'You can have at most {limit} tickets during the sales phase '
                      f'"LOYALTY phase"; you already have {limit}.')


def test_min_loyalty_points_reads_the_real_balance(make_fan, earn):
    fan = make_fan(43)
    earn(fan, 2)
    match = phase_match(PhaseType.LOYALTY, {"min_loyalty_points": 2})
    zone, _ = seated_zone(match)

    assert add(fan, match, zone).status_code == 201


def test_the_four_ticket_cap_holds_across_phases_whatever_the_tier(
        make_fan, earn, django_capture_on_commit_callbacks):
    fan = make_fan(44)
    earn(fan, 1)
    tiers = {"loyalty_tiers": [{"min_points": 1, "ticket_limit": 4}]}
    match = make_match(status=MatchStatus.PUBLISHED)
    now = timezone.now()
    SalesPhase.objects.create(match=match, phase_type=PhaseType.LOYALTY, name="Presale 1",
                              start_at=now - timedelta(days=1), end_at=now + timedelta(minutes=5),
                              eligibility_rules_json=tiers)
    SalesPhase.objects.create(match=match, phase_type=PhaseType.LOYALTY, name="Presale 2",
                              start_at=now + timedelta(minutes=5), end_at=now + timedelta(days=2),
                              eligibility_rules_json=tiers)
    zone, _ = seated_zone(match, ["XXXXXXXX"])
    pay(fan, ordered(fan, match, zone, 3), django_capture_on_commit_callbacks)
    assert Order.objects.get(match=match).status == OrderStatus.COMPLETED

    with time_machine.travel(now + timedelta(minutes=6)):  # presale 2, within the token's life
        detail = assert_refused(add(fan, match, zone, 2), 422, "ticket_limit_reached",
                                "quantity")
        assert add(fan, match, zone, 1).status_code == 201  # 4 in all
    assert detail == "You can have at most 4 tickets for this match; you already have 3."
