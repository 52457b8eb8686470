"""Profile changes are audited without leaking personal data: an OIB appears only as its last
4 digits, a passport number and the lookup hashes not at all."""

import json
import logging

import pytest
from django.db import connection

from core.audit import scrub
from core.models import AuditEvent
from core.pii import keyed_hash

URL = "/api/users/me/profile"
OIB = "69435151530"
MASKED_OIB = "*******1530"
PASSPORT = "C01X00T47"
NEW_PASSPORT = "C02Y11U58"


def croatian(**fields) -> dict:
    return {"first_name": "Ivana", "last_name": "Horvat", "date_of_birth": "1990-04-12",
            "nationality": "HR", "oib": OIB, "passport_number": PASSPORT} | fields


def row_text(event: AuditEvent) -> str:
    """Every column of the stored row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_auditevent WHERE id = %s", [event.pk])
        return json.dumps([str(value) for value in cursor.fetchone()])


def assert_no_personal_data(text: str) -> None:
    assert OIB not in text
    assert PASSPORT not in text
    assert NEW_PASSPORT not in text
    assert keyed_hash(OIB) not in text
    assert keyed_hash(PASSPORT) not in text


@pytest.fixture
def audit_lines(caplog):
    """JSON lines on the "audit" logger (it does not propagate, so attach caplog directly)."""
    logger = logging.getLogger("audit")
    logger.addHandler(caplog.handler)
    yield lambda: [r.getMessage() for r in caplog.records if r.name == "audit"]
    logger.removeHandler(caplog.handler)


def test_creating_a_profile_is_audited_with_the_oib_masked(fan, audit_lines,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert fan.post(URL, croatian(), format="json").status_code == 201

    event = AuditEvent.objects.get(action="profile.created")
    assert event.actor == fan.user
    assert event.object_type == "ticketing.profile"
    assert event.before is None
    assert event.after["oib"] == MASKED_OIB
    assert event.after["first_name"] == "Ivana"
    assert_no_personal_data(row_text(event))
    [line] = audit_lines()
    assert MASKED_OIB in line
    assert_no_personal_data(line)


def test_updating_a_profile_is_audited_with_the_oib_masked_before_and_after(
        fan, audit_lines, django_capture_on_commit_callbacks):
    fan.post(URL, croatian(), format="json")

    with django_capture_on_commit_callbacks(execute=True):
        response = fan.put(URL, {"phone": "+385911234567", "passport_number": NEW_PASSPORT},
                           format="json")

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="profile.updated")
    assert (event.before["oib"], event.after["oib"]) == (MASKED_OIB, MASKED_OIB)
    assert (event.before["phone"], event.after["phone"]) == ("", "+385911234567")
    assert_no_personal_data(row_text(event))
    [line] = audit_lines()
    assert_no_personal_data(line)


def test_a_refused_change_writes_no_audit_event(fan):
    fan.post(URL, croatian(), format="json")

    assert fan.put(URL, {"oib": "12345678903"}, format="json").status_code == 400

    assert not AuditEvent.objects.filter(action="profile.updated").exists()


def test_scrub_drops_hashes_and_passports_and_masks_oibs_at_any_depth():
    payload = {
        "oib": OIB, "oib_hash": keyed_hash(OIB), "passport_number": PASSPORT,
        "passport_hash": keyed_hash(PASSPORT), "email_hash": "abc", "phone": "+385911234567",
        "holders": [{"holder_oib": OIB, "oib_hash": "def", "name": "Luka"}],
        "empty_oib": "",
    }

    assert scrub(payload) == {
        "oib": MASKED_OIB, "phone": "+385911234567",
        "holders": [{"holder_oib": MASKED_OIB, "name": "Luka"}],
        "empty_oib": "",
    }


def test_scrub_leaves_a_missing_payload_alone():
    assert scrub(None) is None
