"""The blacklist (E11-F1) and the holder check run by checkout, quota claims and petrol sales
(E4-F6, E11-F3): who is blocked, what the refusal says, what is logged, and the back office."""

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from stdnum.hr import oib as stdnum_oib

from accessctl.models import BlacklistEntry, BlacklistSource, BlacklistStatus, BlacklistViolation
from accessctl.services.check import blacklist_check
from accessctl.services.entries import (
    blacklist_entry_create,
    blacklist_entry_remove,
    blacklist_entry_restore,
)
from core.errors import Conflict, Forbidden, ValidationFailed
from core.models import AuditEvent
from core.pii import keyed_hash
from core.roles import Role

pytestmark = pytest.mark.django_db

BANNED = "12345678903"
ALSO_BANNED = "23456789013"
CLEAN = ["34567890125", "45678901239", "56789012343"]


def an_oib(n: int) -> str:
    """A valid OIB built from `n` (the check digit always exists for MOD 11,10)."""
    base = f"{10**9 + n:010d}"
    return next(base + d for d in "0123456789" if stdnum_oib.is_valid(base + d))


def row_text(table: str, pk: int) -> str:
    """Every column of the stored row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        return json.dumps([str(value) for value in cursor.fetchone()])


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor@example.com", roles=[Role.SUPERVISOR])


@pytest.fixture
def ban(supervisor):
    def make(oib=BANNED, **fields):
        data = {"first_name": "Marko", "last_name": "Marić", "reason": "Pyrotechnics",
                "source": BlacklistSource.MUP_COURT_BAN} | fields
        return blacklist_entry_create(oib=oib, actor=supervisor, **data)

    return make


@pytest.fixture
def buyer(make_user):
    return make_user("buyer@example.com")


@pytest.fixture
def checkout_request(rf, buyer):
    request = rf.post("/api/checkout", REMOTE_ADDR="203.0.113.9",
                      HTTP_USER_AGENT="Mozilla/5.0 (pytest)")
    request.user = buyer
    return request


def today():
    return timezone.localdate()


# --- The check ------------------------------------------------------------------------------

def test_a_list_without_banned_holders_passes(ban, buyer):
    ban()

    assert blacklist_check(oibs=CLEAN, user=buyer, action="PURCHASE_ATTEMPT") is None
    assert not BlacklistViolation.objects.exists()


def test_it_refuses_when_one_holder_among_several_is_banned(ban, buyer):
    ban()

    with pytest.raises(Forbidden) as refused:
        blacklist_check(oibs=[CLEAN[0], BANNED, CLEAN[1]], user=buyer, action="PURCHASE_ATTEMPT")

    assert refused.value.status_code == 403
    assert refused.value.code == "blacklisted"
    detail = refused.value.detail
    assert "Za informacije se obratite MUP-u (Ministarstvo unutarnjih poslova)" in detail
    assert "please contact the Ministry of the Interior (MUP)" in detail
    assert "…8903" in detail
    assert BANNED[:7] not in detail  # named by the last 4 digits only
    assert "Marić" not in detail


def test_it_logs_one_attempt_per_banned_holder_with_who_and_from_where(
    ban, buyer, checkout_request
):
    first, second = ban(), ban(ALSO_BANNED, last_name="Horvat")

    with pytest.raises(Forbidden) as refused:
        blacklist_check(oibs=[BANNED, CLEAN[0], ALSO_BANNED], user=buyer,
                        request=checkout_request, action="QUOTA_CLAIM_ATTEMPT", reference="claim:9")

    assert "…8903" in refused.value.detail and "…9013" in refused.value.detail
    attempts = list(BlacklistViolation.objects.order_by("id"))
    assert [(a.entry, a.oib_masked) for a in attempts] == [
        (first, "*******8903"), (second, "*******9013")]
    for attempt in attempts:
        assert attempt.user == buyer
        assert attempt.ip_address == "203.0.113.9"
        assert attempt.user_agent == "Mozilla/5.0 (pytest)"
        assert attempt.action_type == "QUOTA_CLAIM_ATTEMPT"
        assert attempt.reference == "claim:9"


def test_a_petrol_sale_without_a_signed_in_fan_is_logged_without_a_user(ban):
    ban()

    with pytest.raises(Forbidden):
        blacklist_check(oibs=[BANNED], user=None, action="PETROL_PIN_ATTEMPT", reference="petrol:3")

    attempt = BlacklistViolation.objects.get()
    assert (attempt.user, attempt.ip_address, attempt.action_type) == (
        None, None, "PETROL_PIN_ATTEMPT")


@pytest.mark.parametrize("entry", ["expired yesterday", "removed", "starts tomorrow"])
def test_an_entry_not_in_force_today_does_not_block(ban, supervisor, buyer, entry):
    if entry == "expired yesterday":
        ban(valid_from=today() - timedelta(days=30), valid_until=today() - timedelta(days=1))
    elif entry == "removed":
        blacklist_entry_remove(entry=ban(), actor=supervisor, reason="Court lifted the ban")
    else:
        ban(valid_from=today() + timedelta(days=1))

    blacklist_check(oibs=[BANNED], user=buyer, action="PURCHASE_ATTEMPT")

    assert not BlacklistViolation.objects.exists()


def test_an_entry_blocks_on_its_first_and_last_day(ban, buyer):
    ban(valid_from=today(), valid_until=today())

    with pytest.raises(Forbidden):
        blacklist_check(oibs=[BANNED], user=buyer, action="PURCHASE_ATTEMPT")


def test_the_check_is_one_query_however_many_holders(ban, buyer, django_assert_num_queries):
    ban()
    holders = [an_oib(n) for n in range(20)]

    with django_assert_num_queries(1):
        blacklist_check(oibs=holders, user=buyer, action="PURCHASE_ATTEMPT")


def test_holders_without_an_oib_cost_no_query(buyer, django_assert_num_queries):
    with django_assert_num_queries(0):
        blacklist_check(oibs=["", None], user=buyer, action="PURCHASE_ATTEMPT")


# --- The transaction contract ---------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_committed_before_the_refusal_aborts_the_purchase(make_user):
    supervisor, buyer = make_user(), make_user()
    blacklist_entry_create(oib=BANNED, first_name="Marko", last_name="Marić", reason="Flares",
                           source=BlacklistSource.CLUB_BAN, actor=supervisor)

    def checkout(holders):  # how callers use it: check first, then their own transaction
        blacklist_check(oibs=holders, user=buyer, action="PURCHASE_ATTEMPT", reference="cart:17")
        with transaction.atomic():
            AuditEvent.objects.create(action="order.created", object_type="orders.order")

    with pytest.raises(Forbidden):
        checkout([CLEAN[0], BANNED])

    assert not connection.in_atomic_block  # so what is there, is committed
    assert BlacklistViolation.objects.get().reference == "cart:17"
    assert not AuditEvent.objects.filter(action="order.created").exists()


def test_calling_the_check_inside_a_transaction_fails_loudly_instead_of_losing_the_log(
    ban, buyer
):
    ban()

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        blacklist_check(oibs=[BANNED], user=buyer, action="PURCHASE_ATTEMPT")


# --- Entries --------------------------------------------------------------------------------

def test_an_invalid_oib_is_refused_with_422(ban):
    with pytest.raises(ValidationFailed) as refused:
        ban("12345678900")

    assert refused.value.status_code == 422
    assert refused.value.code == "oib_invalid"
    assert not BlacklistEntry.objects.exists()


def test_an_oib_is_listed_once_and_a_removed_entry_is_restored_not_listed_again(
        ban, supervisor):
    first = ban()

    with pytest.raises(Conflict) as refused:
        ban()
    assert refused.value.status_code == 409

    blacklist_entry_remove(entry=first, actor=supervisor, reason="Court lifted the ban")
    with pytest.raises(Conflict, match="restore that entry"):
        ban(reason="Second offence")
    assert blacklist_entry_restore(entry=first, actor=supervisor).is_active


def test_the_tables_hold_no_plaintext_oib(ban, buyer):
    entry = ban()
    with pytest.raises(Forbidden):
        blacklist_check(oibs=[BANNED], user=buyer, action="PURCHASE_ATTEMPT")

    assert BANNED not in row_text("accessctl_blacklistentry", entry.pk)
    assert keyed_hash(BANNED) in row_text("accessctl_blacklistentry", entry.pk)
    attempt = BlacklistViolation.objects.get()
    assert BANNED not in row_text("accessctl_blacklistviolation", attempt.pk)
    event = AuditEvent.objects.get(action="blacklist_entry.create")
    assert event.actor.email == "supervisor@example.com"
    assert event.after["oib"] == "*******8903"


# --- Back office ----------------------------------------------------------------------------

def test_a_supervisor_sees_the_list_with_masked_oibs(client, supervisor, ban):
    ban()
    client.force_login(supervisor)

    page = client.get(reverse("admin:accessctl_blacklistentry_changelist"))

    assert page.status_code == 200
    assert "*******8903" in page.content.decode()
    assert BANNED not in page.content.decode()
    attempts = client.get(reverse("admin:accessctl_blacklistviolation_changelist"))
    assert attempts.status_code == 200


def test_a_support_agent_cannot_open_the_blacklist(client, make_user, ban):
    ban()
    client.force_login(make_user(roles=[Role.SUPPORT_AGENT]))

    assert client.get(reverse("admin:accessctl_blacklistentry_changelist")).status_code == 403
    assert client.get(
        reverse("admin:accessctl_blacklistviolation_changelist")).status_code == 403


def test_a_supervisor_finds_an_entry_by_last_name_or_full_oib(client, supervisor, ban):
    ban()
    ban(ALSO_BANNED, last_name="Horvat")
    client.force_login(supervisor)
    url = reverse("admin:accessctl_blacklistentry_changelist")

    by_name = client.get(url, {"q": "Horvat"}).content.decode()
    by_oib = client.get(url, {"q": BANNED}).content.decode()

    assert "*******9013" in by_name and "*******8903" not in by_name
    assert "*******8903" in by_oib and "*******9013" not in by_oib


def admin_add_form(**fields) -> dict:
    return {"oib": BANNED, "first_name": "Marko", "last_name": "Marić", "reason": "Flares",
            "source": BlacklistSource.MANUAL, "valid_from": today().isoformat(),
            "valid_until": ""} | fields


def test_a_supervisor_lists_someone_through_the_admin_form(client, supervisor):
    client.force_login(supervisor)

    response = client.post(reverse("admin:accessctl_blacklistentry_add"), admin_add_form())

    assert response.status_code == 302
    entry = BlacklistEntry.objects.get()
    assert (entry.oib, entry.oib_hash, entry.created_by) == (BANNED, keyed_hash(BANNED),
                                                             supervisor)
    assert AuditEvent.objects.filter(action="blacklist_entry.create", object_id=str(entry.pk),
                                     actor=supervisor).exists()


def test_the_admin_form_refuses_an_invalid_oib(client, supervisor):
    client.force_login(supervisor)

    response = client.post(reverse("admin:accessctl_blacklistentry_add"),
                           admin_add_form(oib="12345678900"))

    assert response.status_code == 200
    assert "check digit is wrong" in response.content.decode()
    assert not BlacklistEntry.objects.exists()


def test_a_supervisor_edits_and_removes_an_entry_through_the_services(
    client, supervisor, ban
):
    entry = ban()
    client.force_login(supervisor)
    change = reverse("admin:accessctl_blacklistentry_change", args=[entry.pk])
    form = admin_add_form(reason="Flares and a pitch invasion",
                          valid_until=(today() + timedelta(days=365)).isoformat())
    del form["oib"]

    assert client.post(change, form).status_code == 302
    changelist = reverse("admin:accessctl_blacklistentry_changelist")
    asked = client.post(changelist, {"action": "remove", "_selected_action": [entry.pk]})
    assert "Why" in asked.content.decode()  # the reason is asked for first
    response = client.post(changelist, {"action": "remove", "_selected_action": [entry.pk],
                                        "confirm": "1", "reason": "Ban served"})

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.reason == "Flares and a pitch invasion"
    assert entry.oib == BANNED
    assert (entry.status, entry.removed_by, entry.removal_reason) == (
        BlacklistStatus.REMOVED, supervisor, "Ban served")
    actions = AuditEvent.objects.filter(object_id=str(entry.pk), action__startswith="blacklist"
                                        ).values_list("action", flat=True)
    assert set(actions) == {"blacklist_entry.create", "blacklist_entry.update",
                            "blacklist_entry.remove"}
    assert list(entry.audit_logs.order_by("id").values_list("action", flat=True)) == [
        "CREATE", "UPDATE", "REMOVE"]
