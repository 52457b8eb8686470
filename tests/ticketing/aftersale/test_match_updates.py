"""Match updates (E2-F6): every change is logged with its type whatever the preference;
"notify" emails and pushes every ticket holder, once per change, by a batched job."""

from datetime import timedelta

import pytest

from core.models import EmailLog, PushLog
from core.roles import Role
from seating.models import MatchAuditLog, MatchChangeType
from ticketing.aftersale.models import MatchUpdateNotice
from ticketing.aftersale.services.match_updates import match_update_fanout

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user, back_office):
    return back_office(make_user("matches@example.com", roles=[Role.MATCH_MANAGER]))


def put(client, match, capture, **body):
    with capture(execute=True):
        return client.put(f"/api/admin/matches/{match.pk}", body, format="json")


def test_a_silent_change_is_logged_and_tells_no_one(
        paid, manager, match, django_capture_on_commit_callbacks):
    paid(1)

    response = put(manager, match, django_capture_on_commit_callbacks, away_team="Spain")

    assert response.status_code == 200, response.content
    log = MatchAuditLog.objects.get()
    assert (log.change_type, log.changes_json, log.notification_preference) == (
        MatchChangeType.UPDATE, {"away_team": ["France", "Spain"]}, "silent")
    assert not EmailLog.objects.filter(template_key="match_update").exists()
    assert not log.notification_sent


def test_a_rescheduled_match_with_notify_tells_every_holder_once(
        paid, buyer, manager, match, django_capture_on_commit_callbacks):
    order = paid(2)
    order.items.filter(pk=order.tickets.order_by("pk").last().order_item_id).update(
        email="friend@example.com")
    new_time = (match.kick_off_time + timedelta(hours=2)).isoformat()

    response = put(manager, match, django_capture_on_commit_callbacks,
                   kick_off_time=new_time, notification_preference="notify")

    assert response.status_code == 200, response.content
    log = MatchAuditLog.objects.get()
    assert log.change_type == MatchChangeType.RESCHEDULE
    assert (log.notification_sent, log.recipients_total, log.recipients_notified) == (
        True, 2, 2)
    sent = sorted(EmailLog.objects.filter(template_key="match_update")
                  .values_list("recipient_email", flat=True))
    assert sent == sorted([buyer.user.email, "friend@example.com"])
    assert "kick-off now" in EmailLog.objects.filter(template_key="match_update").first() \
        .variables_json["change"]
    assert PushLog.objects.filter(notification_type="match_update").count() == \
        PushLog.objects.filter(user=buyer.user, notification_type="match_update").count()

    match_update_fanout(log_id=log.pk)  # a retried task
    assert EmailLog.objects.filter(template_key="match_update").count() == 2


def test_a_fanout_interrupted_midway_tells_the_rest_once(paid, login, match, make_user):
    from seating.services.matches import match_update
    from tests.ticketing.test_checkout import buyer_profile, valid_oib

    for n in range(5):
        fan = login(f"fan{n}@example.com")
        buyer_profile(fan.user, oib=valid_oib(7100 + n))
        paid(1, client=fan)
    match_update(match_id=match.pk, actor=make_user(), data={"competition": "Cup"},
                 notification_preference="notify")  # on-commit not run: no fan-out yet
    log = MatchAuditLog.objects.get(change_type=MatchChangeType.UPDATE)
    from ticketing.aftersale.services.match_updates import _batch_send, recipients_write

    recipients_write(log)
    _batch_send(log, match="x", change="y", batch=2)  # one batch went out, then the worker died

    match_update_fanout(log_id=log.pk, batch=2)

    assert MatchUpdateNotice.objects.filter(log=log, sent_at__isnull=True).count() == 0
    emails = list(EmailLog.objects.filter(template_key="match_update")
                  .values_list("recipient_email", flat=True))
    assert len(emails) == len(set(emails)) == 5


def test_status_changes_are_logged_with_their_type(manager, django_capture_on_commit_callbacks):
    from tests.seating.factories import make_match

    draft = make_match()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"/api/admin/matches/{draft.pk}/status", {"status": "PUBLISHED"},
                     format="json")

    assert MatchAuditLog.objects.get(match=draft).change_type == MatchChangeType.PUBLISH
