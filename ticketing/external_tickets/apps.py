from django.apps import AppConfig


class ExternalTicketsConfig(AppConfig):
    """Away-match PDF tickets (E9-F6): the host's PDFs uploaded, matched to our tickets, kept
    privately, and sent to each holder."""

    name = "ticketing.external_tickets"
    label = "external_tickets"
    verbose_name = "Away-match PDF tickets"
