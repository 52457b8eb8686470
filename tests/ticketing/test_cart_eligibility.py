"""Sales-phase rules at add-to-cart (E2-F2, E6-F2): who may buy in the running phase, no public
sale in a QUOTA_ONLY phase, and the phase's own per-fan limit."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import Forbidden
from seating.models import MatchStatus, PhaseType, SalesPhase
from tests.seating.factories import make_match
from tests.ticketing.test_cart import add, seated_zone
from tests.ticketing.test_checkout import adult, buyer_profile, cart_of, checkout
from ticketing.services.eligibility import (
    FanStanding,
    fan_standing,
    phase_eligibility_check,
    phase_ticket_limit,
)

pytestmark = pytest.mark.django_db


def phase_match(phase_type=PhaseType.GENERAL_PUBLIC, rules=None, **phase_fields):
    """A published match whose one running phase is `phase_type` with `rules`."""
    match = make_match(status=MatchStatus.PUBLISHED)
    now = timezone.now()
    SalesPhase.objects.create(match=match, phase_type=phase_type, name=f"{phase_type} phase",
                              start_at=now - timedelta(days=1), end_at=now + timedelta(days=2),
                              eligibility_rules_json=rules or {}, **phase_fields)
    return match


def assert_refused(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code, body
    if field:
        assert list(body["fields"]) == [field]
    return body["detail"]


# --- who may buy: one row per rule, through the API ------------------------------------------

ELIGIBILITY = [
    # (phase type, rules, fan's email, None if allowed else (code, field, detail))
    (PhaseType.GENERAL_PUBLIC, {}, "fan@example.com", None),
    (PhaseType.LOYALTY, {}, "fan@example.com", None),
    (PhaseType.LOYALTY, {"min_loyalty_points": 0}, "fan@example.com", None),
    (PhaseType.LOYALTY, {"min_loyalty_points": 100}, "fan@example.com",
     ("not_eligible", "min_loyalty_points",
      'The sales phase "LOYALTY phase" needs at least 100 loyalty points; you have 0.')),
    (PhaseType.LOYALTY, {"min_matches_attended": 3}, "fan@example.com",
     ("not_eligible", "min_matches_attended",
      'The sales phase "LOYALTY phase" needs at least 3 matches attended; '
      "you have attended 0.")),
    (PhaseType.LOYALTY, {"membership_required": False}, "fan@example.com", None),
    (PhaseType.LOYALTY, {"membership_required": True}, "fan@example.com",
     ("not_eligible", "membership_required",
      'The sales phase "LOYALTY phase" is open to members only, and you have no active '
      "membership.")),
    (PhaseType.GENERAL_PUBLIC, {"allowed_email_domains": ["hns.family"]}, "ana@hns.family", None),
    (PhaseType.GENERAL_PUBLIC, {"allowed_email_domains": ["HNS.family"]}, "Ana@hns.FAMILY", None),
    (PhaseType.GENERAL_PUBLIC, {"allowed_email_domains": ["hns.family", "uefa.com"]},
     "fan@example.com",
     ("not_eligible", "allowed_email_domains",
      'The sales phase "GENERAL_PUBLIC phase" is open only to accounts with an email address '
      "at hns.family, uefa.com.")),
    (PhaseType.GENERAL_PUBLIC, {"allowed_email_domains": ["hns.family"]}, "fan@nothns.family",
     ("not_eligible", "allowed_email_domains", None)),
    (PhaseType.QUOTA_ONLY, {}, "fan@example.com",
     ("quota_only_phase", None,
      'During the sales phase "QUOTA_ONLY phase" tickets are sold only through quotas; '
      "public sale has not started.")),
]


@pytest.mark.parametrize(("phase_type", "rules", "email", "refusal"), ELIGIBILITY)
def test_add_to_cart_follows_the_running_phase_rules(login, phase_type, rules, email, refusal):
    match = phase_match(phase_type, rules)
    zone, _ = seated_zone(match)

    response = add(login(email), match, zone)

    if refusal is None:
        assert response.status_code == 201, response.content
        return
    code, field, detail = refusal
    message = assert_refused(response, 403, code, field)
    if detail:
        assert message == detail


def test_the_first_unmet_rule_is_named(login):
    match = phase_match(PhaseType.LOYALTY, {"min_loyalty_points": 10, "membership_required": True,
                                            "allowed_email_domains": ["hns.family"]})
    zone, _ = seated_zone(match)

    assert_refused(add(login("ana@hns.family"), match, zone), 403, "not_eligible",
                   "min_loyalty_points")


def test_a_fan_without_points_reads_zero_and_nobody_has_attendance_or_membership_yet(
        make_user):
    assert fan_standing(make_user()) == FanStanding(loyalty_points=0, matches_attended=0,
                                                    has_membership=False)


@pytest.mark.parametrize(("standing", "allowed"), [
    (FanStanding(loyalty_points=99, matches_attended=5, has_membership=True), False),
    (FanStanding(loyalty_points=100, matches_attended=2, has_membership=True), False),
    (FanStanding(loyalty_points=100, matches_attended=3, has_membership=False), False),
    (FanStanding(loyalty_points=100, matches_attended=3, has_membership=True), True),
])
def test_the_rules_admit_a_fan_with_enough_standing(make_user, standing, allowed):
    match = phase_match(PhaseType.LOYALTY, {"min_loyalty_points": 100, "min_matches_attended": 3,
                                            "membership_required": True})
    phase = match.sales_phases.get()

    if allowed:
        assert phase_eligibility_check(phase=phase, user=make_user(), standing=standing) is None
    else:
        with pytest.raises(Forbidden):
            phase_eligibility_check(phase=phase, user=make_user(), standing=standing)


def test_no_running_phase_is_still_not_on_sale(fan):
    match = phase_match()
    zone, _ = seated_zone(match)
    SalesPhase.objects.update(is_active=False)

    assert_refused(add(fan, match, zone), 409, "not_on_sale")


# --- the phase's own limit --------------------------------------------------------------------

@pytest.mark.parametrize(("ticket_limit", "rules", "expected"), [
    (4, {}, 4),
    (3, {}, 3),
    (4, {"max_tickets_per_user": 2}, 2),
    (2, {"max_tickets_per_user": 3}, 2),
    (4, {"max_tickets_per_user": 9}, 4),  # never above the per-match cap
])
def test_a_phase_limit_is_the_smallest_of_its_limits(ticket_limit, rules, expected):
    phase = SalesPhase(ticket_limit=ticket_limit, eligibility_rules_json=rules)

    assert phase_ticket_limit(phase) == expected


def test_a_fan_takes_no_more_than_the_phase_allows(fan):
    match = phase_match(PhaseType.LOYALTY, {"max_tickets_per_user": 2})
    zone, _ = seated_zone(match, ["XXXXXX"])

    assert add(fan, match, zone, 2).status_code == 201
    detail = assert_refused(add(fan, match, zone, 1), 422, "phase_ticket_limit_reached",
                            "quantity")
    assert detail == ('You can have at most 2 tickets during the sales phase "LOYALTY phase"; '
                      "you already have 2.")


def test_the_phase_ticket_limit_field_counts_too(fan):
    match = phase_match(ticket_limit=3)
    zone, _ = seated_zone(match, ["XXXXXX"])

    assert_refused(add(fan, match, zone, 4), 422, "phase_ticket_limit_reached", "quantity")
    assert add(fan, match, zone, 3).status_code == 201


def test_tickets_bought_in_an_earlier_phase_count_for_the_match_cap_only(
        fan, settings, django_capture_on_commit_callbacks):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    buyer_profile(fan.user)
    match = make_match(status=MatchStatus.PUBLISHED)
    now = timezone.now()
    SalesPhase.objects.create(match=match, phase_type=PhaseType.LOYALTY, name="Loyalty",
                              start_at=now - timedelta(days=1), end_at=now + timedelta(minutes=5),
                              eligibility_rules_json={"max_tickets_per_user": 2})
    SalesPhase.objects.create(match=match, phase_type=PhaseType.GENERAL_PUBLIC, name="Public",
                              start_at=now + timedelta(minutes=5), end_at=now + timedelta(days=2),
                              eligibility_rules_json={"max_tickets_per_user": 2})
    zone, _ = seated_zone(match, ["XXXXXXXX"])
    cart = cart_of(fan, match, zone, 2)
    order = checkout(fan, cart, [{}, adult()]).json()["order"]
    with django_capture_on_commit_callbacks(execute=True):
        assert fan.post(f"/api/orders/{order['id']}/pay-local").status_code == 200

    with time_machine.travel(now + timedelta(minutes=6)):  # within the token's life
        assert_refused(add(fan, match, zone, 3), 422, "ticket_limit_reached", "quantity")
        assert add(fan, match, zone, 2).status_code == 201  # 2 in this phase, 4 in all
