"""The seed's 13 audit domains: every action the code audits belongs to one, each domain has
actions, and the events that had none before are written: staff logins (and failed ones),
blacklist violations and the admin's own change history (LogEntry), which outlives its user."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry

from accessctl.models import BlacklistSource, BlacklistViolation, ViolationAction
from accessctl.services.check import blacklist_check
from accessctl.services.entries import blacklist_entry_create
from core.audit import AUDIT_DOMAINS, UNKNOWN_DOMAIN, audit_domain
from core.errors import Forbidden
from core.models import AuditEvent, PushToken
from core.receivers import ADMIN_HISTORY_ACTIONS

pytestmark = pytest.mark.django_db

# Calls whose `action=` is an audit action (the last two pass it on to audit_record).
AUDITING_CALLS = {"audit_record", "match_item_save", "_save_audited"}
OIB = "12345678903"


def _literal(node) -> list[str]:
    """The action names a call's `action=` can take: a string, an f-string (its fields as
    `{}`, which the patterns' `*` matches) or a choice between two strings."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(part.value if isinstance(part, ast.Constant) else "{}"
                        for part in node.values)]
    if isinstance(node, ast.IfExp):
        return _literal(node.body) + _literal(node.orelse)
    return []  # a variable: the caller's literal is found at the caller


def code_actions() -> set[str]:
    """Every audit action named in the code base, tests and virtualenv aside."""
    actions = set(ADMIN_HISTORY_ACTIONS.values())
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if {"tests", ".venv", "node_modules", "bench"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in (
                    AUDITING_CALLS):
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        actions.update(_literal(keyword.value))
    return actions


@pytest.mark.parametrize(("domain", "action"), [
    ("seats", "seat.type_changed"), ("seats", "seats.generated"), ("seats", "sector.updated"),
    ("seats", "seat_map.updated"),
    ("matches", "match.status_changed"), ("matches", "sales_phase.updated"),
    ("matches", "price_category.created"),
    ("quotas", "quota.created"), ("quotas", "quota_claim.completed"),
    ("quotas", "subquota.created"),
    ("orders", "order.created"), ("orders", "cart.add"),
    ("payments", "payment.refund"), ("payments", "debt.recorded"),
    ("payments", "eracuni.sent"), ("payments", "payment_offer.created"),
    ("refunds", "refund.requested"),
    ("transfers", "ticket.transferred"), ("transfers", "tickets.sector_transfer"),
    ("blacklist", "blacklist.imported"), ("blacklist", "blacklist_entry.delete"),
    ("violations", "violation.recorded"),
    ("support", "support_transfer.requested"), ("support", "support_refund.approved"),
    ("prints", "ticket.printed"),
    ("petrol", "petrol_sale.completed"), ("petrol", "petrol_pin.created"),
    ("auth", "admin.login"), ("auth", "admin.login_failed"), ("auth", "masquerade.started"),
    ("auth", "admin.change"),
])
def test_each_of_the_13_domains_has_actions_in_the_code_that_map_to_it(domain, action):
    assert action in code_actions()
    assert audit_domain(action) == domain


def test_there_are_13_domains_and_every_audited_action_belongs_to_one():
    assert len(AUDIT_DOMAINS) == 13
    homeless = {a for a in code_actions() if audit_domain(a) == UNKNOWN_DOMAIN}
    assert homeless == set()
    assert {audit_domain(a) for a in code_actions()} == set(AUDIT_DOMAINS)


def test_an_exact_name_wins_over_the_prefix_it_shares():
    assert audit_domain("tickets.sector_transfer") == "transfers"
    assert audit_domain("tickets.{}") == "orders"  # tickets.cancelled, tickets.refunded, ...
    assert audit_domain("match_sector.updated") == "matches"
    assert audit_domain("something.new") == UNKNOWN_DOMAIN


def login(client, email, password, address="203.0.113.7"):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password},
                       REMOTE_ADDR=address)


@pytest.fixture
def staff(make_user):
    return make_user("root@hns.example", staff=True, is_superuser=True, password="right-pass-1")


def test_a_staff_login_is_audited_with_its_address(client, staff):
    assert login(client, staff.email, "right-pass-1").status_code == 302

    event = AuditEvent.objects.get(action="admin.login")
    assert (event.actor_id, event.object_type, event.object_id) == (
        staff.pk, "ticketing.user", str(staff.pk))
    assert event.ip_address == "203.0.113.7"


def test_a_failed_staff_login_is_audited_without_the_password(client, staff, make_user):
    make_user("fan@example.com", password="fan-pass-1")

    assert login(client, "ROOT@hns.example", "wrong-pass-9").status_code == 200
    assert login(client, "fan@example.com", "wrong-pass-9").status_code == 200  # no staff
    assert login(client, "nobody@example.com", "wrong-pass-9").status_code == 200

    event = AuditEvent.objects.get(action="admin.login_failed")
    assert (event.actor, event.object_id, event.ip_address) == (
        None, str(staff.pk), "203.0.113.7")
    assert event.after == {"email": staff.email, "locked_out": False}
    assert "wrong-pass-9" not in str(event.before) + str(event.after)


def test_repeated_failed_logins_of_one_account_are_one_event_per_cool_off(client, staff):
    for _ in range(4):  # an attacker guessing at a known staff email
        login(client, staff.email, "wrong-pass-9")
    assert AuditEvent.objects.filter(action="admin.login_failed").count() == 1


def test_the_way_back_from_a_masquerade_is_no_new_admin_login(client, staff, make_user):
    holder = make_user("vip@sponsor.hr")
    login(client, staff.email, "right-pass-1")

    assert client.post("/hijack/acquire/", {"user_pk": holder.pk}).status_code == 302
    assert client.post("/hijack/release/").status_code == 302

    assert int(client.session["_auth_user_id"]) == staff.pk
    assert AuditEvent.objects.filter(action="admin.login").count() == 1
    assert AuditEvent.objects.filter(action="masquerade.ended").exists()


def test_a_blacklisted_attempt_is_audited_as_a_violation(make_user, rf,
                                                         django_capture_on_commit_callbacks):
    officer = make_user("officer@hns.example")
    entry = blacklist_entry_create(oib=OIB, actor=officer, first_name="Marko",
                                   last_name="Marić", reason="Pyrotechnics",
                                   source=BlacklistSource.MUP_COURT_BAN)
    request = rf.post("/api/checkout", REMOTE_ADDR="198.51.100.4")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Forbidden):
        blacklist_check(oibs=[OIB], user=officer, request=request, reference="cart:7",
                        action=ViolationAction.PURCHASE_ATTEMPT)

    violation = BlacklistViolation.objects.get()
    event = AuditEvent.objects.get(action="violation.recorded")
    assert (event.object_type, event.object_id, event.actor_id, event.ip_address) == (
        "accessctl.blacklistviolation", str(violation.pk), officer.pk, "198.51.100.4")
    assert event.after == {"action_type": "PURCHASE_ATTEMPT", "entry_id": entry.pk,
                           "oib": "*******8903", "match_id": None, "reference": "cart:7"}


def test_the_admins_change_history_is_mirrored_and_outlives_its_user(admin_client, admin_user,
                                                                     make_user):
    owner = make_user("fan@example.com")
    first, second = (PushToken.objects.create(user=owner, device_id=f"phone-{n}",
                                              fcm_token="t", platform="IOS") for n in (1, 2))

    changed = admin_client.post(f"/admin/core/pushtoken/{first.pk}/change/", {
        "user": owner.pk, "device_id": "phone-1", "fcm_token": "t", "platform": "ANDROID",
        "is_active": "on", "last_used_at_0": "", "last_used_at_1": ""})
    deleted = admin_client.post("/admin/core/pushtoken/", {
        "action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"})

    assert changed.status_code == 302 and deleted.status_code == 302
    assert LogEntry.objects.count() == 3  # one change, then two deletions in one bulk insert
    events = sorted(AuditEvent.objects.filter(action__startswith="admin.").exclude(
        action="admin.login"), key=lambda e: (e.action, int(e.object_id)))
    assert [(e.action, e.object_type, e.object_id, e.actor_id) for e in events] == [
        ("admin.change", "core.pushtoken", str(first.pk), admin_user.pk),
        ("admin.deletion", "core.pushtoken", str(first.pk), admin_user.pk),
        ("admin.deletion", "core.pushtoken", str(second.pk), admin_user.pk)]
    assert events[0].after["change"] == "Changed Platform."
    assert events[1].after["object"] == "ANDROID phone-1"

    admin_user.delete()

    assert not LogEntry.objects.exists()  # gone with its user ...
    assert AuditEvent.objects.filter(action__startswith="admin.").exclude(
        action="admin.login").count() == 3  # ... but not from the audit trail


def test_the_admin_shows_its_change_history_read_only(admin_client, make_user):
    entry = LogEntry.objects.log_actions(user_id=make_user("x@hns.example").pk,
                                         queryset=[make_user("y@hns.example")],
                                         action_flag=CHANGE, change_message="Changed Email.",
                                         single_object=True)

    assert admin_client.get("/admin/admin/logentry/").status_code == 200
    assert admin_client.get(f"/admin/admin/logentry/{entry.pk}/change/").status_code == 200
    assert admin_client.get("/admin/admin/logentry/add/").status_code == 403
    assert admin_client.get(f"/admin/admin/logentry/{entry.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(action="admin.change", object_id=str(
        entry.object_id)).exists()
