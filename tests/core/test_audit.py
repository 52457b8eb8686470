"""Audit logging: one append-only AuditEvent row plus one JSON line on the "audit" logger after
commit, with OIBs masked and passport numbers dropped; read-only in Django Admin."""

import json
import logging

import pytest
from django.db import DatabaseError, connection, transaction

from core.audit import audit_record
from core.models import AuditEvent

OIB = "12345678903"
PASSPORT = "P9876543"


@pytest.fixture
def audit_lines(caplog):
    """The JSON lines written to the "audit" logger, which does not propagate to caplog's
    root handler, so caplog's handler is attached to it directly."""
    logger = logging.getLogger("audit")
    logger.addHandler(caplog.handler)
    yield lambda: [json.loads(r.getMessage()) for r in caplog.records if r.name == "audit"]
    logger.removeHandler(caplog.handler)


@pytest.fixture
def officer(make_user):
    return make_user("officer@hns.example")


def record(**kwargs) -> AuditEvent:
    defaults = dict(action="quota.update", object_type="quotas.quota", object_id=42)
    return audit_record(**{**defaults, **kwargs})


def test_it_records_who_did_what_from_where(officer, rf, audit_lines,
                                           django_capture_on_commit_callbacks):
    request = rf.post("/admin/quotas/quota/42/change/", REMOTE_ADDR="203.0.113.9",
                      HTTP_USER_AGENT="Mozilla/5.0 (pytest)")

    with django_capture_on_commit_callbacks(execute=True):
        event = record(actor=officer, before={"quantity": 10}, after={"quantity": 8},
                       request=request)

    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor, event.actor_email) == (officer, "officer@hns.example")
    assert (event.action, event.object_type, event.object_id) == (
        "quota.update", "quotas.quota", "42")
    assert (event.before, event.after) == ({"quantity": 10}, {"quantity": 8})
    assert event.ip_address == "203.0.113.9"
    assert event.user_agent == "Mozilla/5.0 (pytest)"
    assert event.impersonator is None
    [line] = audit_lines()
    assert line == {
        "event": "audit", "id": event.pk, "at": event.created_at.isoformat(),
        "actor_id": officer.pk, "actor": "officer@hns.example", "impersonator": None,
        "action": "quota.update", "object_type": "quotas.quota", "object_id": "42",
        "before": {"quantity": 10}, "after": {"quantity": 8}, "ip": "203.0.113.9",
        "domain": "quotas",
    }


def test_a_model_instance_names_the_object(officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(actor=officer, action="user.update", obj=officer)

    assert (event.object_type, event.object_id) == ("ticketing.user", str(officer.pk))


def test_a_system_action_has_no_actor(db, audit_lines, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = record(actor=None)

    event.refresh_from_db()
    assert (event.actor, event.actor_email, event.ip_address) == (None, "", None)
    [line] = audit_lines()
    assert (line["actor_id"], line["actor"]) == (None, "")


def test_oibs_are_masked_and_passports_dropped_at_any_depth(officer, audit_lines,
                                                            django_capture_on_commit_callbacks):
    before = {
        "oib": OIB, "oib_hash": "ab12", "passport_number": PASSPORT, "name": "Ana",
        "holder": {"OIB": OIB, "passport": PASSPORT, "city": "Split"},
        "guests": [{"guardian_oib": OIB, "passport_number_encrypted": "gAAAA"}, "plain"],
    }

    with django_capture_on_commit_callbacks(execute=True):
        event = record(actor=officer, before=before, after={"oib": ""})

    event.refresh_from_db()
    assert event.before == {
        "oib": "*******8903", "name": "Ana",
        "holder": {"OIB": "*******8903", "city": "Split"},
        "guests": [{"guardian_oib": "*******8903"}, "plain"],
    }
    assert event.after == {"oib": ""}
    [line] = audit_lines()
    assert line["before"] == event.before
    raw = json.dumps(line)
    assert OIB not in raw and PASSPORT not in raw and "passport" not in raw


def test_nothing_is_logged_when_the_transaction_rolls_back(officer, audit_lines,
                                                           django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        record(actor=officer)
        raise RuntimeError("the change failed")

    assert callbacks == []
    assert audit_lines() == []
    assert not AuditEvent.objects.exists()


def test_the_line_is_written_only_once_the_transaction_commits(
        officer, audit_lines, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        record(actor=officer)
        assert audit_lines() == []

    for callback in callbacks:
        callback()

    assert len(audit_lines()) == 1


def _orm_update(event):
    AuditEvent.objects.filter(pk=event.pk).update(action="tampered")


def _instance_save(event):
    event.action = "tampered"
    event.save()


def _instance_delete(event):
    event.delete()


def _queryset_delete(event):
    AuditEvent.objects.filter(pk=event.pk).delete()


def _raw_update(event):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = %s WHERE id = %s",
                       ["tampered", event.pk])


def _raw_delete(event):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])


@pytest.mark.postgres
@pytest.mark.parametrize("tamper", [_orm_update, _instance_save, _instance_delete,
                                    _queryset_delete, _raw_update, _raw_delete],
                         ids=lambda f: f.__name__.strip("_"))
def test_the_database_refuses_to_change_or_delete_an_audit_event(officer, tamper):
    event = record(actor=officer)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        tamper(event)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "quota.update"


def test_the_admin_lists_audit_events_read_only(admin_client, officer):
    event = record(actor=officer)

    changelist = admin_client.get("/admin/core/auditevent/")
    add = admin_client.get("/admin/core/auditevent/add/")
    change = admin_client.get(f"/admin/core/auditevent/{event.pk}/change/")
    delete = admin_client.get(f"/admin/core/auditevent/{event.pk}/delete/")

    assert changelist.status_code == 200
    assert b"officer@hns.example" in changelist.content
    assert b"delete_selected" not in changelist.content
    assert "delete_selected" not in changelist.context["cl"].model_admin.get_actions(
        changelist.wsgi_request)
    assert add.status_code == 403
    assert change.status_code == 200  # view-only
    assert b'name="_save"' not in change.content
    assert delete.status_code == 403


def test_the_admin_cannot_change_an_audit_event_by_posting(admin_client, officer):
    event = record(actor=officer)

    response = admin_client.post(f"/admin/core/auditevent/{event.pk}/change/",
                                 {"action": "tampered", "object_type": "x"})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.action == "quota.update"
