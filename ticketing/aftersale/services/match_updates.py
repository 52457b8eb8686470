"""Telling a match's ticket holders about a change (E2-F6): every buyer and every holder with
an email of a valid ticket, once per change, by a batched job.

1. The recipients are written once (`MatchUpdateNotice`, unique per change and email).
2. Batches of unsent ones are taken with SKIP LOCKED, and in one transaction each gets its
   email (and the buyers a push) and is marked sent. A worker that dies mid-batch rolls the
   whole batch back, emails included, so a rerun sends it once; two workers never take the
   same rows. Progress is on the MatchAuditLog (recipients notified of total)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.locks import lock_rows
from core.notifications import TemplateKey, email_send, push_send_many
from seating.models import MatchAuditLog, MatchChangeType
from ticketing.aftersale.models import MatchUpdateNotice
from ticketing.models import Ticket, TicketStatus, User

BATCH = 500


def change_text(log: MatchAuditLog) -> str:
    """The change in words for the email: "kick-off time: 2026-12-05 20:45 → 18:00"."""
    labels = {"kick_off_time": "kick-off", "venue": "venue", "home_team": "home team",
              "away_team": "away team", "competition": "competition", "status": "status"}
    parts = [f"{labels.get(name, name.replace('_', ' '))} now {values[1]}"
             for name, values in log.changes_json.items()
             if isinstance(values, list) and len(values) == 2]
    return "; ".join(parts) or "the match details were updated"


def recipients_write(log: MatchAuditLog) -> int:
    """Everyone to tell, written once (a rerun adds nothing). Returns how many there are."""
    rows = (Ticket.objects.filter(match_id=log.match_id, status=TicketStatus.VALID)
            .values_list("order__buyer_id", "order__buyer__email", "order_item__email"))
    people: dict[str, int | None] = {}
    for buyer_id, buyer_email, holder_email in rows.iterator(chunk_size=5000):
        people[buyer_email.lower()] = buyer_id
        if holder_email:
            people.setdefault(holder_email.lower(), None)
    MatchUpdateNotice.objects.bulk_create(
        (MatchUpdateNotice(log=log, email=email, user_id=user_id)
         for email, user_id in people.items()), batch_size=2000, ignore_conflicts=True)
    total = MatchUpdateNotice.objects.filter(log=log).count()
    MatchAuditLog.objects.filter(pk=log.pk).update(recipients_total=total)
    return total


def match_update_fanout(*, log_id: int, batch: int = BATCH) -> MatchAuditLog:
    log = MatchAuditLog.objects.select_related("match").get(pk=log_id)
    if log.notification_sent or log.change_type == MatchChangeType.CANCEL:
        return log  # a cancellation tells its holders itself, with their refund
    recipients_write(log)
    match = f"{log.match.home_team} v {log.match.away_team}"
    change = change_text(log)
    while _batch_send(log, match=match, change=change, batch=batch):
        pass
    if not MatchUpdateNotice.objects.filter(log=log, sent_at__isnull=True).exists():
        MatchAuditLog.objects.filter(pk=log.pk).update(notification_sent=True)
    log.refresh_from_db()
    return log


def _batch_send(log: MatchAuditLog, *, match: str, change: str, batch: int) -> int:
    with transaction.atomic():
        notices = lock_rows(MatchUpdateNotice.objects.filter(log=log, sent_at__isnull=True),
                            skip_locked=True, limit=batch)
        if not notices:
            return 0
        for notice in notices:
            email_send(template_key=TemplateKey.MATCH_UPDATE, to=notice.email,
                       variables={"name": notice.email, "match": match, "change": change})
        buyers = list(User.objects.filter(pk__in=[n.user_id for n in notices if n.user_id]))
        if buyers:
            push_send_many(users=buyers, notification_type="match_update",
                           title=f"Update: {match}", body=change,
                           data={"match_id": str(log.match_id)})
        MatchUpdateNotice.objects.filter(pk__in=[n.pk for n in notices]).update(
            sent_at=timezone.now())
        MatchAuditLog.objects.filter(pk=log.pk).update(
            recipients_notified=F("recipients_notified") + len(notices))
    return len(notices)
