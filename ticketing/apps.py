from django.apps import AppConfig


class TicketingConfig(AppConfig):
    name = "ticketing"
    verbose_name = "Accounts and ticketing"

    def ready(self):
        from ticketing import receivers, schema  # noqa: F401  (signal receivers; OpenAPI auth)
