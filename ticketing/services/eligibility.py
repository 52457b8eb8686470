"""Who may buy during a match's running sales phase (E2-F2, E6-F2), asked by add-to-cart.

A phase's `eligibility_rules_json` (validated against seating/schemas/eligibility_rules.json)
holds optional rules; a fan must meet every rule present. A QUOTA_ONLY phase sells through the
quota portal only, never to the public. A phase caps the tickets one fan may take in it at the
smallest of its `ticket_limit`, its `max_tickets_per_user` rule, the ticket limit of the fan's
loyalty tier (`loyalty_tiers`, E6-F2: below the lowest tier a fan cannot buy in the phase) and
the per-match cap.

Loyalty points are the fan's real balance (ticketing.loyalty), read only when the phase has a
points rule, so other sales pay no query for it. The platform holds no attendance records or
memberships yet (E13 comes later), so every fan reads as 0 matches attended and no membership:
a phase that asks for them admits nobody until that data exists, rather than everybody."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Sum

from core.errors import Forbidden
from seating.models import PhaseType, SalesPhase
from ticketing.loyalty.selectors import loyalty_points_of
from ticketing.loyalty.tiers import lowest_threshold, tier_for
from ticketing.models import CartItem, CartStatus, OrderItem, OrderStatus


@dataclass(frozen=True)
class FanStanding:
    """What the rules ask about a fan beyond their account."""

    loyalty_points: int = 0
    matches_attended: int = 0
    has_membership: bool = False


POINTS_RULES = ("min_loyalty_points", "loyalty_tiers")


def fan_standing(user, phase: SalesPhase | None = None) -> FanStanding:
    """The fan's loyalty balance (only when `phase`, if given, has a points rule); attendance
    and membership have no source yet (module docstring)."""
    rules = (phase.eligibility_rules_json or {}) if phase is not None else None
    if rules is not None and not any(key in rules for key in POINTS_RULES):
        return FanStanding()
    return FanStanding(loyalty_points=loyalty_points_of(user))


def _email_domain(user) -> str:
    return user.email.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Rule:
    key: str
    met: Callable[[object, object, FanStanding], bool]  # (rule value, user, standing)
    message: Callable[[object, object, FanStanding], str]  # why the fan is refused


# The rules of seating/schemas/eligibility_rules.json that decide who may buy, checked in this
# order (max_tickets_per_user is a limit, not an entry rule: phase_ticket_limit).
RULES = (
    Rule("min_loyalty_points",
         lambda value, user, fan: fan.loyalty_points >= value,
         lambda value, user, fan: f"needs at least {value} loyalty points; "
                                  f"you have {fan.loyalty_points}"),
    Rule("loyalty_tiers",
         lambda value, user, fan: fan.loyalty_points >= lowest_threshold(value),
         lambda value, user, fan: f"needs at least {lowest_threshold(value)} loyalty points "
                                  f"(its lowest tier); you have {fan.loyalty_points}"),
    Rule("min_matches_attended",
         lambda value, user, fan: fan.matches_attended >= value,
         lambda value, user, fan: f"needs at least {value} matches attended; "
                                  f"you have attended {fan.matches_attended}"),
    Rule("membership_required",
         lambda value, user, fan: not value or fan.has_membership,
         lambda value, user, fan: "is open to members only, and you have no active membership"),
    Rule("allowed_email_domains",
         lambda value, user, fan: _email_domain(user) in {d.lower() for d in value},
         lambda value, user, fan: "is open only to accounts with an email address at "
                                  + ", ".join(value)),
)


def phase_running(*, phases: list[SalesPhase], now: datetime) -> SalesPhase | None:
    """Of a match's active phases, the one running at `now` (phases never overlap)."""
    return next((p for p in phases if p.is_active and p.start_at <= now < p.end_at), None)


def phase_eligibility_check(*, phase: SalesPhase, user,
                            standing: FanStanding | None = None) -> None:
    """Forbidden (403) naming the phase and the first rule the fan does not meet."""
    if phase.phase_type == PhaseType.QUOTA_ONLY:
        raise Forbidden(f'During the sales phase "{phase.name}" tickets are sold only through '
                        "quotas; public sale has not started.", code="quota_only_phase")
    rules = phase.eligibility_rules_json or {}
    standing = standing or fan_standing(user, phase)
    for rule in RULES:
        if rule.key in rules and not rule.met(rules[rule.key], user, standing):
            reason = rule.message(rules[rule.key], user, standing)
            raise Forbidden(f'The sales phase "{phase.name}" {reason}.', code="not_eligible",
                            field=rule.key)


def phase_ticket_limit(phase: SalesPhase, standing: FanStanding | None = None) -> int:
    """Tickets one fan (of `standing`, for a phase with loyalty tiers) may take during the
    phase; 0 below its lowest tier."""
    rules = phase.eligibility_rules_json or {}
    limits = [phase.ticket_limit, settings.MAX_TICKETS_PER_FAN_PER_MATCH]
    if "max_tickets_per_user" in rules:
        limits.append(rules["max_tickets_per_user"])
    if rules.get("loyalty_tiers"):
        tier = tier_for(rules["loyalty_tiers"], (standing or FanStanding()).loyalty_points)
        limits.append(tier["ticket_limit"] if tier else 0)
    return min(limits)


def tickets_in_phase(*, user, phase: SalesPhase, now: datetime) -> int:
    """Tickets the fan holds now (their live cart, paid or not) plus those bought in orders
    placed during the phase."""
    held = CartItem.objects.filter(cart__user=user, cart__match_id=phase.match_id,
                                   cart__status=CartStatus.OPEN, cart__expires_at__gt=now)
    bought = OrderItem.objects.filter(order__buyer=user, order__match_id=phase.match_id,
                                      order__status=OrderStatus.COMPLETED,
                                      order__created_at__gte=phase.start_at,
                                      order__created_at__lt=phase.end_at)
    return (held.aggregate(n=Sum("quantity"))["n"] or 0) + bought.count()
