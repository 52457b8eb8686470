from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    """Promo codes (US7): a per-match or platform-wide code a fan types at checkout for a
    percentage or a fixed discount, with a limited number of uses taken like seats."""

    name = "ticketing.promotions"
    label = "promotions"
    verbose_name = "Promotions"
