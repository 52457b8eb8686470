from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Customer support tools (E10): finding a fan's tickets, transfers and refunds on a
    caller's behalf, emergency reprints."""

    name = "ticketing.support"
    label = "support"
    verbose_name = "Customer support"
