"""The push of points just earned, to the account whose profile has the holder's OIB (an OIB
with no account yet keeps its points and hears nothing). Written in the caller's transaction,
delivered after it commits."""

from collections import Counter, defaultdict

from core.notifications import push_send_many
from seating.models import Match
from ticketing.models import Profile


def earned_message(points: int) -> str:
    return f"You earned {points} point{'' if points == 1 else 's'}"


def notify_points_earned(match: Match, written: list[tuple[int, str]]) -> int:
    """One push per credited account (the same text to every account with the same count);
    returns how many accounts were told."""
    per_oib = Counter(oib_hash for _, oib_hash in written)
    if not per_oib:
        return 0
    groups = defaultdict(list)
    for profile in Profile.objects.filter(oib_hash__in=list(per_oib)).select_related("user"):
        groups[per_oib[profile.oib_hash]].append(profile.user)
    name = f"{match.home_team} v {match.away_team}"
    for points, users in groups.items():
        push_send_many(users=users, notification_type="loyalty_points_earned",
                       title="Loyalty points", body=f"{earned_message(points)} for {name}.",
                       data={"match_id": str(match.pk), "points": str(points)})
    return sum(len(users) for users in groups.values())
