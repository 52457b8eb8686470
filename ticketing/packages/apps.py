from django.apps import AppConfig


class PackagesConfig(AppConfig):
    """Ticket packages (seeds 003/004): a bundle of seats of a match sold at one price ("Family
    2+2", "VIP hospitality with parking"), with up to four custom options answered per ticket
    holder, a quantity limit taken like seats, and sales tracking."""

    name = "ticketing.packages"
    label = "packages"
    verbose_name = "Ticket packages"
