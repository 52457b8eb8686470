"""How many fans hold how many points (E6-F2), for planning a loyalty presale: fans are the
accounts whose profile has an OIB; per sales phase with loyalty tiers, how many fall in each
tier and how many tickets the tier could take at most."""

from django.db import connection
from django.utils import timezone

from core.errors import NotFound
from core.sql import db_datetime
from seating.models import Match
from ticketing.loyalty.models import LoyaltyPoint
from ticketing.loyalty.selectors import window_start
from ticketing.loyalty.tiers import tiers_sorted
from ticketing.models import Profile
from ticketing.services.eligibility import FanStanding, phase_ticket_limit


def _fans_by_balance(start) -> dict[int, int]:
    """{balance: fans} over the fans with points, in one aggregate query."""
    points, profiles = LoyaltyPoint._meta.db_table, Profile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT balance, COUNT(*) FROM (SELECT lp.oib_hash, SUM(lp.points) AS balance"
            f" FROM {points} lp JOIN {profiles} p ON p.oib_hash = lp.oib_hash"
            f" WHERE lp.earned_at > %s GROUP BY lp.oib_hash) b GROUP BY balance",
            [db_datetime(start)])
        return dict(cursor.fetchall())


def _phase_tiers(phase, fans: dict[int, int]) -> dict:
    tiers = tiers_sorted(phase.eligibility_rules_json["loyalty_tiers"])
    bounds = [tier["min_points"] for tier in tiers[1:]] + [None]
    rows = []
    for tier, below in zip(tiers, bounds, strict=True):
        count = sum(n for points, n in fans.items()
                    if points >= tier["min_points"] and (below is None or points < below))
        limit = phase_ticket_limit(phase, FanStanding(loyalty_points=tier["min_points"]))
        rows.append({"min_points": tier["min_points"], "ticket_limit": tier["ticket_limit"],
                     "fans": count, "tickets_at_most": count * limit})
    return {"phase_id": phase.pk, "name": phase.name, "phase_type": phase.phase_type,
            "start_at": phase.start_at, "end_at": phase.end_at,
            "fans_below": sum(n for points, n in fans.items()
                              if points < tiers[0]["min_points"]),
            "tiers": rows}


def loyalty_distribution(*, match_id: int) -> dict:
    match = Match.objects.filter(pk=match_id, is_deleted=False).first()
    if match is None:
        raise NotFound(f"Match {match_id} does not exist.", code="match_not_found",
                       field="match_id")
    now = timezone.now()
    start = window_start(now)
    fans = _fans_by_balance(start)
    fans_total = Profile.objects.exclude(oib_hash="").count()
    with_points = sum(fans.values())
    if fans_total > with_points:
        fans[0] = fans_total - with_points
    phases = [_phase_tiers(phase, fans)
              for phase in match.sales_phases.order_by("start_at")
              if (phase.eligibility_rules_json or {}).get("loyalty_tiers")]
    return {"match_id": match.pk, "match": f"{match.home_team} v {match.away_team}",
            "as_of": now, "window_start": start, "fans_total": fans_total,
            "fans_with_points": with_points,
            "balances": [{"points": points, "fans": fans[points]} for points in sorted(fans)],
            "phases": phases}
