from django.apps import AppConfig


class AftersaleConfig(AppConfig):
    """What happens to a ticket between the sale and the match (E8-F3, E9-F5, E9-F8):
    refunds of orders and tickets, self-service cancellation, transfers."""

    name = "ticketing.aftersale"
    label = "aftersale"
    verbose_name = "After the sale"

    def ready(self):
        from ticketing.aftersale import receivers  # noqa: F401  (refund outcomes)
