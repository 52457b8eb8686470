"""The fan's live PINs count against the 4 tickets per match wherever the fan buys."""

from django.db.models import Sum
from django.dispatch import receiver
from django.utils import timezone

from quotas.petrol.models import PetrolPin, PinStatus
from ticketing.signals import tickets_promised


@receiver(tickets_promised)
def pins_promised(sender, *, user, match_id: int, **_) -> int:
    return (PetrolPin.objects.filter(user=user, match_id=match_id, status=PinStatus.ACTIVE,
                                     expires_at__gt=timezone.now())
            .aggregate(n=Sum("quantity"))["n"] or 0)
