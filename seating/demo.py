"""Demo venues and matches for the embedded default (idempotent): the five stadium templates,
a numbered HOME match at Maksimir on sale, and a non-numbered AWAY match."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from seating.models import Match, MatchStatus, MatchType
from seating.services import match_config, matches
from seating.stadium_templates import seed_stadium_templates

HOME_PRICES = {"VIP": "150.00", "Z": "45.00", "I": "45.00", "S": "25.00", "J": "25.00",
               "GOST": "30.00"}
CATEGORY_NAMES = {"VIP": "VIP", "Z": "Zapad / Istok", "I": "Zapad / Istok", "S": "Sjever / Jug",
                  "J": "Sjever / Jug", "GOST": "Gostujući navijači"}


def _price_key(code: str) -> str:
    return code if code in HOME_PRICES else code.rstrip("0123456789")


def _go_on_sale(match: Match, *, prices: dict[str, tuple[str, str]]) -> None:
    """Price every sector (code -> (category name, price)), open the general sale until
    kick-off, lock the configuration and publish the match."""
    categories = {}
    # Dearest first, so the zone ids are the same on every run (the README's walkthrough uses them).
    for name, price in sorted(set(prices.values()), key=lambda v: (-Decimal(v[1]), v[0])):
        categories[name] = match_config.price_category_create(
            match_id=match.id, name=name, price=Decimal(price), actor=None)
    for sector in match.sectors.all():
        name, _ = prices[sector.code]
        match_config.match_sector_update(match_id=match.id, match_sector_id=sector.id, actor=None,
                                         data={"price_category_id": categories[name].id})
    now = timezone.now()
    matches.sales_phase_create(match_id=match.id, actor=None, phase_type="GENERAL_PUBLIC",
                               name="Opća prodaja", start_at=now - timedelta(days=1),
                               end_at=match.kick_off_time)
    match_config.match_stadium_validate(match_id=match.id, actor=None)
    for status in (MatchStatus.PUBLISHED, MatchStatus.ACTIVE):
        matches.match_status_change(match_id=match.id, to_status=status, actor=None,
                                    reason="demo data")


def seed_matches() -> list[Match]:
    stadiums = {s.city: s for s in seed_stadium_templates()}
    existing = list(Match.objects.filter(competition__startswith="Demo:"))
    if existing:
        return existing
    kickoff = (timezone.localtime() + timedelta(days=21)).replace(hour=20, minute=45, second=0,
                                                                  microsecond=0)
    home = matches.match_create(
        actor=None, home_team="Hrvatska", away_team="Italija",
        competition="Demo: UEFA Nations League", kick_off_time=kickoff,
        match_type=MatchType.HOME, venue_id=stadiums["Zagreb"].id, is_numbered=True)
    match_config.match_stadium_copy_template(match_id=home.id, actor=None,
                                             stadium_template_id=stadiums["Zagreb"].id)
    _go_on_sale(home, prices={s.code: (CATEGORY_NAMES[_price_key(s.code)],
                                       HOME_PRICES[_price_key(s.code)])
                              for s in home.sectors.all()})

    away = matches.match_create(
        actor=None, home_team="Armenija", away_team="Hrvatska",
        competition="Demo: FIFA World Cup qualifier", kick_off_time=kickoff + timedelta(days=4),
        match_type=MatchType.AWAY, is_numbered=False)
    match_config.match_stadium_create_new(
        match_id=away.id, name="Vazgen Sargsyan Republican Stadium", city="Yerevan",
        country="AM", actor=None, is_numbered=False,
        sectors=[{"name": "Gostujući navijači", "code": "GOST", "capacity": 1500}])
    _go_on_sale(away, prices={"GOST": ("Gostujući navijači", "35.00")})
    return list(Match.objects.filter(pk__in=[home.pk, away.pk]))
