from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    """Money and documents (E8-F4, E8-F5): debtors, deferred payment offers, and the e-računi
    documents (payment offers, invoices, credit notes) issued for orders and refunds."""

    name = "ticketing.invoicing"
    label = "invoicing"
    verbose_name = "Invoicing (e-računi)"

    def ready(self):
        from ticketing.invoicing import receivers  # noqa: F401  (orders completed, refunds)
