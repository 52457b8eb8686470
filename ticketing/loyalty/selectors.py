"""Reads of a fan's loyalty points (E6-F1): the balance over the rolling window, its next
expiry, and the history match by match. The points of an account are those of the OIB on its
profile (`Profile.oib_hash`); an account without an OIB has none."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Max, Subquery, Sum
from django.utils import timezone

from ticketing.loyalty.models import LoyaltyPoint
from ticketing.models import Profile


def years_later(moment: datetime, years: int) -> datetime:
    """The same moment `years` calendar years later (earlier when negative); 29 February
    becomes the 28th in a year without one."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def window_start(now: datetime | None = None) -> datetime:
    """Points earned after this moment count (earned exactly LOYALTY_WINDOW_YEARS ago: no)."""
    return years_later(now or timezone.now(), -settings.LOYALTY_WINDOW_YEARS)


def expires_at(earned_at: datetime) -> datetime:
    return years_later(earned_at, settings.LOYALTY_WINDOW_YEARS)


def _profile_oib_hash(user_id: int) -> Subquery:
    return Subquery(Profile.objects.filter(user_id=user_id).exclude(oib_hash="")
                    .values("oib_hash")[:1])


def loyalty_points_of(user, *, now: datetime | None = None) -> int:
    """The fan's balance in one query (add-to-cart asks it when a phase needs it)."""
    return (LoyaltyPoint.objects.filter(oib_hash=_profile_oib_hash(user.pk),
                                        earned_at__gt=window_start(now))
            .aggregate(n=Sum("points"))["n"] or 0)


@dataclass(frozen=True)
class LoyaltySummary:
    has_oib: bool
    balance: int
    window_years: int
    window_start: datetime
    next_expiry_at: datetime | None
    next_expiry_points: int


def _oib_hash_of(user) -> str:
    return Profile.objects.filter(user_id=user.pk).values_list("oib_hash", flat=True).first() or ""


def loyalty_summary(*, user, now: datetime | None = None) -> LoyaltySummary:
    """Balance and the points that drop out of the window next (a match's points share its
    kick-off, so they expire together)."""
    start = window_start(now)
    oib_hash = _oib_hash_of(user)
    by_time = list(LoyaltyPoint.objects.filter(oib_hash=oib_hash, earned_at__gt=start)
                   .values("earned_at").annotate(points=Sum("points")).order_by("earned_at")
                   ) if oib_hash else []
    first = by_time[0] if by_time else None
    return LoyaltySummary(
        has_oib=bool(oib_hash), balance=sum(row["points"] for row in by_time),
        window_years=settings.LOYALTY_WINDOW_YEARS, window_start=start,
        next_expiry_at=expires_at(first["earned_at"]) if first else None,
        next_expiry_points=first["points"] if first else 0)


MATCH_FIELDS = ("match_id", "match__home_team", "match__away_team", "match__competition",
                "match__kick_off_time", "match__match_type")


def loyalty_history(*, user, now: datetime | None = None) -> list[dict]:
    """Every match that earned the fan points, newest first, expired ones included (marked)."""
    oib_hash = _oib_hash_of(user)
    if not oib_hash:
        return []
    start = window_start(now)
    rows = (LoyaltyPoint.objects.filter(oib_hash=oib_hash).values(*MATCH_FIELDS)
            .annotate(points=Sum("points"), earned_at=Max("earned_at"))
            .order_by("-earned_at", "-match_id"))
    return [{"match_id": row["match_id"],
             "match": f"{row['match__home_team']} v {row['match__away_team']}",
             "competition": row["match__competition"],
             "kick_off_time": row["match__kick_off_time"],
             "match_type": row["match__match_type"], "points": row["points"],
             "earned_at": row["earned_at"], "expires_at": expires_at(row["earned_at"]),
             "counts": row["earned_at"] > start} for row in rows]

