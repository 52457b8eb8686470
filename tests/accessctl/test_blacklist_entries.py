"""E11-F1, E11-F3, E11-F5 through the admin API: entries with every field, the blacklist audit
log (CREATE, UPDATE, REMOVE, RESTORE, and the copy kept before a hard delete), the internal
check behind a service token, and the violations report with its CSV export."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accessctl.models import (
    BlacklistAuditLog,
    BlacklistEntry,
    BlacklistStatus,
    BlacklistViolation,
    ViolationAction,
)
from accessctl.services.check import blacklist_check
from accessctl.services.entries import blacklist_entry_delete, blacklist_entry_remove
from core.errors import Forbidden
from core.roles import Role
from core.tables import csv_cell
from tests.assertions import assert_error
from tests.ticketing.test_checkout import valid_oib

pytestmark = pytest.mark.django_db
BASE = "/api/admin/blacklist"
OIB = valid_oib(777001)


def entry_body(**fields) -> dict:
    return {"oib": OIB, "first_name": "Marko", "last_name": "Marić",
            "date_of_birth": "1990-02-03", "reason": "Flares at the derby",
            "source": "MUP_COURT_BAN", "notes": "Court case 12/2026"} | fields


def test_an_entry_is_created_with_every_field_and_the_oib_masked(officer):
    response = officer.post(BASE, entry_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["oib"] == "*******" + OIB[-4:] and OIB not in response.content.decode()
    assert (body["date_of_birth"], body["notes"], body["status"], body["tickets"]) == (
        "1990-02-03", "Court case 12/2026", "ACTIVE", [])
    entry = BlacklistEntry.objects.get()
    assert entry.created_by == officer.user
    log = BlacklistAuditLog.objects.get()
    assert (log.action, log.changed_by, log.changes_json["created"]["oib"]) == (
        "CREATE", officer.user, "*******" + OIB[-4:])


@pytest.mark.parametrize("field, value, status, code", [
    ("oib", "12345678900", 422, "oib_invalid"),
    ("first_name", "  ", 400, "invalid"),
    ("source", "RUMOUR", 400, "invalid"),
    ("valid_until", "2000-01-01", 422, "invalid_range"),
])
def test_a_bad_entry_is_refused_with_the_field(officer, field, value, status, code):
    body = assert_error(officer.post(BASE, entry_body(**{field: value}), format="json"),
                        status, code)
    assert field in body["fields"]
    assert not BlacklistEntry.objects.exists()


def test_the_oib_is_unique_even_for_a_removed_entry(officer, listed):
    entry = listed(OIB)
    assert_error(officer.post(BASE, entry_body(), format="json"), 409, "blacklist_duplicate")
    blacklist_entry_remove(entry=entry, actor=officer.user, reason="served")
    body = assert_error(officer.post(BASE, entry_body(), format="json"), 409,
                        "blacklist_duplicate")
    assert "restore" in body["detail"]


def test_update_remove_and_restore_are_audited_with_the_change(officer, listed):
    entry = listed(OIB)
    url = f"{BASE}/{entry.pk}"

    assert officer.patch(url, {"notes": "Appeal lost"}, format="json").status_code == 200
    assert_error(officer.post(f"{url}/remove", {"reason": ""}, format="json"), 400,
                 "invalid")
    removed = officer.post(f"{url}/remove", {"reason": "Ban lifted by court"}, format="json")
    assert removed.json()["status"] == "REMOVED"
    assert removed.json()["removal_reason"] == "Ban lifted by court"
    assert_error(officer.post(f"{url}/remove", {"reason": "again"}, format="json"), 409,
                 "blacklist_removed")
    assert officer.post(f"{url}/restore").json()["status"] == "ACTIVE"

    log = officer.get(url).json()["audit_log"]
    assert [row["action"] for row in log] == ["CREATE", "UPDATE", "REMOVE", "RESTORE"]
    assert log[1]["changes"] == {"notes": ["", "Appeal lost"]}
    assert log[2]["changes"]["status"] == ["ACTIVE", "REMOVED"]


def test_a_removed_entry_is_copied_to_the_audit_log_before_a_hard_delete(officer, listed):
    entry = listed(OIB, notes="kept")
    with pytest.raises(Forbidden):
        blacklist_check(oibs=[OIB], user=None, action=ViolationAction.PURCHASE_ATTEMPT)
    blacklist_entry_remove(entry=entry, actor=officer.user, reason="retention period over")

    blacklist_entry_delete(entry=entry, actor=officer.user)

    assert not BlacklistEntry.objects.exists()
    copy = BlacklistAuditLog.objects.get(action="DELETE").changes_json["deleted"]
    assert (copy["last_name"], copy["notes"], copy["status"], copy["oib"]) == (
        "Marić", "kept", "REMOVED", "*******" + OIB[-4:])
    assert BlacklistAuditLog.objects.filter(entry_ref=entry.pk).count() == 3
    violation = BlacklistViolation.objects.get()
    assert violation.entry is None and violation.oib_masked.endswith(OIB[-4:])


def test_an_active_entry_cannot_be_deleted(officer, listed):
    entry = listed(OIB)
    with pytest.raises(Exception, match="Remove the entry"):
        blacklist_entry_delete(entry=entry, actor=officer.user)


def test_search_by_oib_goes_through_the_hash(officer, listed):
    listed(OIB)
    listed(valid_oib(777002), last_name="Horvat")

    by_oib = officer.get(BASE, {"q": OIB}).json()["results"]
    by_name = officer.get(BASE, {"q": "horv"}).json()["results"]

    assert [e["last_name"] for e in by_oib] == ["Marić"]
    assert [e["last_name"] for e in by_name] == ["Horvat"]


@pytest.mark.parametrize("role", [None, Role.SUPPORT_AGENT, Role.QUOTA_MANAGER])
def test_only_a_supervisor_runs_the_blacklist(make_user, back_office, role, listed):
    entry = listed(OIB)
    client = back_office(make_user("someone@example.com", roles=[role] if role else []))
    for method, url in (("get", BASE), ("post", BASE), ("post", f"{BASE}/import"),
                        ("get", f"{BASE}/violations"), ("post", f"{BASE}/{entry.pk}/remove"),
                        ("post", f"{BASE}/{entry.pk}/cancel-tickets")):
        assert getattr(client, method)(url).status_code == 403, url


# --- the internal check (E11-F3) --------------------------------------------------------------

CHECK = "/api/internal/blacklist/check"


def test_the_internal_check_needs_the_service_token(api, settings, fan):
    settings.INTERNAL_SERVICE_TOKEN = ""
    assert api.get(CHECK, {"oib": OIB}, HTTP_AUTHORIZATION="Bearer ").status_code == 403
    settings.INTERNAL_SERVICE_TOKEN = "s3rvice-token-for-tests"
    assert api.get(CHECK, {"oib": OIB}).status_code == 403
    assert api.get(CHECK, {"oib": OIB}, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert fan.get(CHECK, {"oib": OIB}).status_code == 403  # a fan's token is not one


def test_the_internal_check_answers_and_logs_a_hit(api, settings, listed, match):
    settings.INTERNAL_SERVICE_TOKEN = "s3rvice-token-for-tests"
    auth = {"HTTP_AUTHORIZATION": "Bearer s3rvice-token-for-tests",
            "HTTP_USER_AGENT": "gate-system/2.1"}
    clean = api.get(CHECK, {"oib": valid_oib(5)}, **auth).json()
    assert clean == {"is_blacklisted": False, "message": ""}
    assert not BlacklistViolation.objects.exists()
    listed(OIB)

    hit = api.get(CHECK, {"oib": OIB, "action": "PETROL_PIN_ATTEMPT", "match_id": match.pk},
                  **auth).json()

    assert hit["is_blacklisted"] is True and "MUP" in hit["message"]
    violation = BlacklistViolation.objects.get()
    assert (violation.action_type, violation.match, violation.user_agent) == (
        "PETROL_PIN_ATTEMPT", match, "gate-system/2.1")
    assert_error(api.get(CHECK, {"oib": "123"}, **auth), 422, "oib_invalid")


def test_a_blocked_checkout_records_match_user_session_ip_and_agent(buyer, match, zone, listed):
    from tests.ticketing.test_checkout import adult, cart_of, checkout

    listed(OIB)
    cart = cart_of(buyer, match, zone, 2)
    assert_error(checkout(buyer, cart, [{}, adult(oib=OIB)]), 403, "blacklisted")

    violation = BlacklistViolation.objects.get()
    assert (violation.action_type, violation.match_id, violation.user) == (
        "PURCHASE_ATTEMPT", match.pk, buyer.user)
    assert violation.session_id  # the fan's API session
    assert violation.ip_address == "127.0.0.1"


# --- the violations report (E11-F5) -----------------------------------------------------------

def violation(listed_oib: str, *, match=None, user_agent="app/1.0", days_ago=0):
    with time_machine.travel(timezone.now() - timedelta(days=days_ago)):
        blacklist_violation(listed_oib, match, user_agent)


def blacklist_violation(oib, match, user_agent):
    from django.test import RequestFactory

    request = RequestFactory().post("/", HTTP_USER_AGENT=user_agent)
    with pytest.raises(Forbidden):
        blacklist_check(oibs=[oib], user=None, request=request,
                        action=ViolationAction.PURCHASE_ATTEMPT,
                        match_id=match.pk if match else None)


def test_violations_are_filtered_by_date_oib_and_match(officer, listed, match):
    other, since = valid_oib(777003), timezone.localdate() - timedelta(days=30)
    listed(OIB, valid_from=since)
    listed(other, valid_from=since)
    violation(OIB, match=match, days_ago=10)
    violation(OIB, days_ago=1)
    violation(other, match=match)
    url = f"{BASE}/violations"
    today = timezone.localdate()

    def count(**params):
        return officer.get(url, params).json()["count"]

    assert count() == 3
    assert count(oib=OIB) == 2
    assert count(match_id=match.pk) == 2
    assert count(date_from=(today - timedelta(days=2)).isoformat()) == 2
    assert count(date_to=(today - timedelta(days=1)).isoformat()) == 2
    assert count(oib=OIB, match_id=match.pk) == 1
    assert_error(officer.get(url, {"date_from": "yesterday"}), 400, "invalid")


def test_the_csv_export_escapes_spreadsheet_formulas(officer, listed, match):
    listed(OIB)
    violation(OIB, match=match, user_agent="=HYPERLINK(\"http://evil\")")

    response = officer.get(f"{BASE}/violations", {"export": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["blocked_at", "action_type", "oib"]
    assert row[header.index("user_agent")] == "'=HYPERLINK(\"http://evil\")"
    assert row[header.index("oib")].endswith(OIB[-4:]) and OIB not in text


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+385", "'+385"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Marić", "Marić"), (None, ""), (12, "12"),
])
def test_csv_cells_that_would_run_as_formulas_are_escaped(value, written):
    assert csv_cell(value) == written


def test_removed_entries_do_not_block(listed, officer):
    entry = blacklist_entry_remove(entry=listed(OIB), actor=officer.user, reason="lifted")
    assert entry.status == BlacklistStatus.REMOVED
    blacklist_check(oibs=[OIB], user=None, action=ViolationAction.PURCHASE_ATTEMPT)
