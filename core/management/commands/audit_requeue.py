"""Queue audit events for Loki again, from the database: for events that committed while Redis
was down (their warning names the id to start from), or a buffer lost with its Redis. Each line
is made again from its row exactly as first shipped, so Loki drops those it already holds."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import loki
from core.audit import audit_line
from core.models import AuditEvent
from core.outages import REDIS_DOWN


class Command(BaseCommand):
    help = ("Queue audit events for Loki again: those with an id from --since-id on (Loki "
            "drops duplicates), or with --dead-letter the batches Loki refused.")

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--since-id", type=int, help="the first event id to queue again")
        which.add_argument("--dead-letter", action="store_true",
                           help="send the batches Loki refused (the dead letter) again")
        parser.add_argument("--until-id", type=int, help="the last event id (default: all)")

    def handle(self, *args, since_id=None, until_id=None, dead_letter=False, **options):
        if not settings.LOKI_URL:
            raise CommandError("LOKI_URL is not set: audit events are not shipped to Loki.")
        if loki.redis_connection() is None:
            raise CommandError("The cache is not Redis (REDIS_URL): there is no buffer.")
        try:
            count = (loki.dead_letter_requeue() if dead_letter
                     else self._requeue(since_id, until_id))
        except REDIS_DOWN as exc:
            raise CommandError(f"Redis is unreachable: {exc}") from exc
        loki.kick()
        self.stdout.write(f"Queued {count} audit events for Loki.")

    def _requeue(self, since_id: int, until_id: int | None) -> int:
        events = AuditEvent.objects.filter(pk__gte=since_id).order_by("pk")
        if until_id is not None:
            events = events.filter(pk__lte=until_id)
        count, lines = 0, []
        for event in events.iterator(chunk_size=settings.LOKI_BATCH_SIZE):
            lines.append(audit_line(event))
            if len(lines) == settings.LOKI_BATCH_SIZE:
                loki.lines_push(lines)
                count, lines = count + len(lines), []
        loki.lines_push(lines)
        return count + len(lines)
