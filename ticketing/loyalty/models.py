"""A loyalty point is earned by a ticket (E6-F1, E6-F3): one row per attended ticket, so the
unique ticket makes a second award of it impossible. It belongs to the holder's OIB (its keyed
hash, never the OIB itself), not to an account: a fan sees the points of the OIB on their
profile, including those earned before they had one."""

from django.db import models

from seating.models import Match
from ticketing.models import Ticket


class LoyaltyPoint(models.Model):
    oib_hash = models.CharField(max_length=64, editable=False,
                                help_text="The holder's OIB, as its keyed hash")
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="loyalty_point")
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField(default=1)
    earned_at = models.DateTimeField(help_text="The match's kick-off; the balance's window "
                                               "counts from it")
    awarded_at = models.DateTimeField(help_text="When the award job wrote it")

    class Meta:
        ordering = ["-earned_at", "-id"]
        indexes = [models.Index(fields=["oib_hash", "earned_at"], name="loyalty_oib_earned")]

    def __str__(self):
        return f"{self.points} point(s) for ticket {self.ticket_id}"
