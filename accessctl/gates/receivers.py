"""Tickets that appear after a match's barcode export take the spare codes it sent."""

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.dispatch import receiver
from django.utils import timezone

from accessctl.gates.models import ExtraBarcode
from core.locks import lock_rows
from ticketing.models import Ticket
from ticketing.signals import barcodes_wanted


@receiver(barcodes_wanted)
def spare_barcodes(sender, *, match_id: int, count: int, **_) -> list[str]:
    """Up to `count` unused spare codes of the match, marked used (none before an export);
    which ticket took each is written after commit."""
    spares = lock_rows(ExtraBarcode.objects.filter(match_id=match_id, is_used=False),
                       skip_locked=True, limit=count)
    if not spares:
        return []
    ExtraBarcode.objects.filter(pk__in=[s.pk for s in spares]).update(
        is_used=True, used_at=timezone.now())
    codes = [s.barcode for s in spares]
    transaction.on_commit(lambda: ExtraBarcode.objects.filter(barcode__in=codes).update(
        assigned_ticket=Subquery(Ticket.objects.filter(barcode=OuterRef("barcode"))
                                 .values("pk")[:1])))
    return codes
