from django.apps import AppConfig


class PetrolConfig(AppConfig):
    """Selling at petrol stations (E12): the match's Petrol quota and its station QR code, PINs
    a fan makes in the app, and the staff view that reserves and sells the seats for cash or
    card."""

    name = "quotas.petrol"
    label = "petrol"
    verbose_name = "Petrol-station sales"

    def ready(self):
        from quotas.petrol import receivers  # noqa: F401 (signal receivers)
