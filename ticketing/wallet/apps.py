from django.apps import AppConfig


class WalletConfig(AppConfig):
    """Digital wallet passes (E9-F4): Apple Wallet .pkpass files and Google Wallet links for a
    fan's tickets. No models: a pass is built from the ticket each time it is asked for."""

    name = "ticketing.wallet"
    label = "wallet"
    verbose_name = "Wallet passes"
