from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Customer support tools (E10): finding a fan's tickets; later the support transfer,
    refund requests and emergency reprints."""

    name = "ticketing.support"
    label = "support"
    verbose_name = "Customer support"
