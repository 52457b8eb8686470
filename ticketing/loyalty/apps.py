from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    """Loyalty points (E6): a point per attended ticket, credited to its holder's OIB, a
    5-year rolling balance, and the tiers a sales phase sells by."""

    name = "ticketing.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"
