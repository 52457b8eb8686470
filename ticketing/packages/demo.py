"""Demo packages (idempotent) on the numbered home match, so a package can be bought from the
run command: "Family 2+2" (four seats together in the cheapest zone, a scarf size and a parking
question for each holder), "VIP hospitality" (a sponsorship package in the dearest zone,
limited), and the promo code OBITELJ10 (10 % off the family package)."""

from decimal import Decimal

from seating.models import Match
from ticketing.packages.models import OptionKind, Package
from ticketing.packages.services.admin import option_create, package_create
from ticketing.promotions.models import PromoCode, PromoKind
from ticketing.promotions.services.admin import promo_code_create

DEMO_CODE = "OBITELJ10"


def seed_packages(matches: list[Match]) -> list[Package]:
    home = next((m for m in matches if m.is_numbered), None)
    if home is None:
        return []
    existing = list(Package.objects.filter(match=home))
    if existing:
        return existing
    zones = list(home.price_categories.order_by("price", "pk"))
    cheapest, dearest = zones[0].pk, zones[-1].pk
    family = package_create(actor=None, match_id=home.pk, data={
        "name": "Family 2+2", "description": "Four seats together and a scarf for everyone.",
        "price": Decimal("90.00"), "seats_per_package": 4,
        "zone_ids": [cheapest], "quantity_limit": 200})
    option_create(actor=None, match_id=home.pk, package_id=family.pk, data={
        "kind": OptionKind.MULTI_SELECT, "label": "Scarf size", "choices": ["Kids", "Adult"],
        "is_required": True})
    option_create(actor=None, match_id=home.pk, package_id=family.pk, data={
        "kind": OptionKind.BOOLEAN, "label": "Parking needed", "is_required": False})
    vip = package_create(actor=None, match_id=home.pk, data={
        "name": "VIP hospitality with parking",
        "description": "A VIP seat, dinner before the match and a parking place.",
        "price": Decimal("350.00"), "seats_per_package": 1, "zone_ids": [dearest],
        "quantity_limit": 20, "is_sponsorship": True})
    option_create(actor=None, match_id=home.pk, package_id=vip.pk, data={
        "kind": OptionKind.TEXT, "label": "Dietary requirements", "is_required": False})
    if not PromoCode.objects.filter(match=home, code=DEMO_CODE).exists():
        promo_code_create(actor=None, data={
            "match_id": home.pk, "code": DEMO_CODE, "kind": PromoKind.PERCENT,
            "value": Decimal("10"), "max_uses": 100, "max_uses_per_buyer": 2,
            "package_ids": [family.pk]})
    return [family, vip]
