from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports read across every app and sit on top of them (no app imports this one)."""

    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from reports import receivers  # noqa: F401  (the live dashboard's nudges)
