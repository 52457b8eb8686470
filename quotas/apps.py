from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "quotas"
    verbose_name = "Quotas"

    def ready(self):
        from quotas import receivers  # noqa: F401  (payment outcomes of claims)
