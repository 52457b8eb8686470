"""/api/admin/promo-codes (US7): a Match Manager lists, creates, edits (with the version read:
stale is 409), deactivates and deletes unused codes; every change is audited."""

import pytest

from core.models import AuditEvent
from core.roles import Role
from tests.assertions import assert_error
from tests.ticketing.promotions.conftest import make_promo
from ticketing.promotions.models import PromoCode

pytestmark = pytest.mark.django_db
URL = "/api/admin/promo-codes"


@pytest.fixture
def manager(make_user, back_office):
    return back_office(make_user(roles=[Role.MATCH_MANAGER]))


def create(client, **fields):
    body = {"code": "summer25", "kind": "PERCENT", "value": "25"} | fields
    return client.post(URL, body, format="json")


def test_a_manager_creates_a_code_stored_upper_case_and_audited(manager, match, zone):
    response = create(manager, match_id=match.id, max_uses=100, max_uses_per_buyer=2,
                      price_category_ids=[zone.id])

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["match_id"], body["uses_count"], body["uses_left"],
            body["version"], body["price_category_ids"]) == (
        "SUMMER25", match.id, 0, 100, 1, [zone.id])
    event = AuditEvent.objects.get(action="promo_code.created")
    assert event.after["code"] == "SUMMER25"


def test_a_code_is_unique_per_match_in_any_case(manager, match):
    assert create(manager, match_id=match.id).status_code == 201

    assert_error(create(manager, match_id=match.id, code="SUMMER25"), 409, "promo_code_exists")
    assert create(manager, code="Summer25").status_code == 201  # platform-wide is another
    assert_error(create(manager, code="SUMMER25"), 409, "promo_code_exists")


@pytest.mark.parametrize(("fields", "field"), [
    ({"code": "abc"}, "code"),
    ({"code": "has space"}, "code"),
    ({"code": "A" * 21}, "code"),
    ({"kind": "PERCENT", "value": "101"}, "value"),
    ({"kind": "PERCENT", "value": "0"}, "value"),
    ({"kind": "FIXED", "value": "0.99"}, "value"),
    ({"valid_from": "2030-01-02T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"},
     "valid_until"),
])
def test_invalid_codes_are_refused_naming_the_field(manager, match, fields, field):
    response = create(manager, match_id=match.id, **fields)

    assert response.status_code in (400, 422), response.content
    assert field in response.json()["fields"]
    assert not PromoCode.objects.exists()


def test_zones_of_another_match_are_refused(manager, match):
    from tests.ticketing.test_cart import on_sale_match, seated_zone

    other_zone, _ = seated_zone(on_sale_match())

    response = create(manager, match_id=match.id, price_category_ids=[other_zone.id])

    assert_error(response, 422, "promo_targets")


def test_an_update_with_a_stale_version_is_409(manager, match):
    promo = make_promo(match, code="SAVE10")
    first = manager.patch(f"{URL}/{promo.pk}", {"version": 1, "value": "15"}, format="json")
    assert first.status_code == 200, first.content
    assert (first.json()["value"], first.json()["version"]) == ("15.00", 2)

    second = manager.patch(f"{URL}/{promo.pk}", {"version": 1, "value": "20"}, format="json")

    assert_error(second, 409, "stale_version")
    promo.refresh_from_db()
    assert (promo.value, promo.version) == (15, 2)
    assert AuditEvent.objects.filter(action="promo_code.updated").count() == 1
    assert "version" in assert_error(
        manager.patch(f"{URL}/{promo.pk}", {"value": "20"}, format="json"), 400,
        "invalid")["fields"]


def test_max_uses_cannot_go_below_the_uses_taken(manager, match):
    promo = make_promo(match, code="SAVE10", max_uses=5, uses_count=3)

    assert_error(manager.patch(f"{URL}/{promo.pk}", {"version": 1, "max_uses": 2},
                               format="json"), 409, "promo_max_below_uses")


def test_list_filters_by_match_and_active(manager, match):
    from tests.ticketing.test_cart import on_sale_match

    make_promo(match, code="AAAA1")
    make_promo(match, code="BBBB2", is_active=False)
    make_promo(on_sale_match(), code="CCCC3")

    def codes(**params):
        response = manager.get(URL, params)
        assert response.status_code == 200, response.content
        return sorted(row["code"] for row in response.json()["results"])

    assert codes() == ["AAAA1", "BBBB2", "CCCC3"]
    assert codes(match_id=match.id) == ["AAAA1", "BBBB2"]
    assert codes(match_id=match.id, active="true") == ["AAAA1"]
    assert codes(active="false") == ["BBBB2"]


def test_delete_only_while_unused_else_deactivate(manager, match):
    unused = make_promo(match, code="UNUSED1")
    used = make_promo(match, code="USED1", uses_count=1)

    assert manager.delete(f"{URL}/{unused.pk}").status_code == 204
    assert_error(manager.delete(f"{URL}/{used.pk}"), 409, "promo_code_used")
    response = manager.post(f"{URL}/{used.pk}/deactivate")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert list(PromoCode.objects.values_list("code", flat=True)) == ["USED1"]
    assert {e.action for e in AuditEvent.objects.all()} >= {"promo_code.deleted",
                                                           "promo_code.deactivated"}


def test_admin_validate_tells_whether_a_checkout_would_take_it(manager, match):
    make_promo(match, code="SAVE10", max_uses=2, uses_count=2)
    make_promo(match, code="OKAY10")

    ok = manager.post(f"{URL}/validate", {"match_id": match.id, "code": "okay10"},
                      format="json")
    assert ok.status_code == 200 and ok.json()["valid"] is True
    assert_error(manager.post(f"{URL}/validate", {"match_id": match.id, "code": "SAVE10"},
                              format="json"), 409, "promo_code_used_up")


def test_a_fan_or_another_role_is_refused(login, make_user, back_office, match):
    assert login("fan@example.com").get(URL).status_code in (401, 403)
    quota = back_office(make_user(roles=[Role.QUOTA_MANAGER]))
    assert quota.get(URL).status_code == 403


def test_django_admin_shows_codes_and_their_uses(make_user, match, client):
    promo = make_promo(match, code="SAVE10", max_uses=5, uses_count=0)
    client.force_login(make_user(roles=[Role.MATCH_MANAGER]))

    assert "0 / 5" in client.get("/admin/promotions/promocode/").content.decode()
    assert client.get(f"/admin/promotions/promocode/{promo.pk}/change/").status_code == 200
    assert client.get("/admin/promotions/promocodeapplication/").status_code == 200


def test_a_code_made_in_django_admin_is_upper_case_and_audited(make_user, match, client):
    client.force_login(make_user(roles=[Role.MATCH_MANAGER]))

    response = client.post("/admin/promotions/promocode/add/", {
        "match": match.pk, "code": "winter5", "kind": "FIXED", "value": "5.00",
        "is_active": "on", "applications-TOTAL_FORMS": "0", "applications-INITIAL_FORMS": "0"})

    assert response.status_code == 302, response.content.decode()[:2000]
    promo = PromoCode.objects.get()
    assert (promo.code, promo.version) == ("WINTER5", 1)
    assert AuditEvent.objects.get(action="promo_code.created").after["code"] == "WINTER5"

    client.post(f"/admin/promotions/promocode/{promo.pk}/change/", {
        "match": match.pk, "code": "WINTER5", "kind": "FIXED", "value": "6.00",
        "is_active": "on", "seen_version": "1", "applications-TOTAL_FORMS": "0",
        "applications-INITIAL_FORMS": "0"})

    promo.refresh_from_db()
    assert (promo.value, promo.version) == (6, 2)
    assert AuditEvent.objects.get(action="promo_code.updated").before["value"] == "5.00"


def test_a_django_admin_edit_keeps_the_uses_taken_meanwhile_and_refuses_a_stale_form(
        make_user, match, client):
    promo = make_promo(match, code="SAVE10", max_uses=5, uses_count=1)
    client.force_login(make_user(roles=[Role.MATCH_MANAGER]))
    form = {"match": match.pk, "code": "SAVE10", "kind": "PERCENT", "value": "15",
            "max_uses": "5", "is_active": "on", "seen_version": str(promo.version),
            "applications-TOTAL_FORMS": "0", "applications-INITIAL_FORMS": "0"}
    PromoCode.objects.filter(pk=promo.pk).update(uses_count=3)  # checkouts while editing

    assert client.post(f"/admin/promotions/promocode/{promo.pk}/change/", form
                       ).status_code == 302
    promo.refresh_from_db()
    assert (promo.value, promo.uses_count) == (15, 3)

    stale = client.post(f"/admin/promotions/promocode/{promo.pk}/change/", {**form,
                                                                             "value": "20"})
    assert stale.status_code == 200 and "Someone else changed" in stale.content.decode()
    promo.refresh_from_db()
    assert promo.value == 15


def test_django_admin_refuses_a_limit_below_the_uses_taken(make_user, match, client):
    promo = make_promo(match, code="SAVE10", max_uses=5, uses_count=4)
    client.force_login(make_user(roles=[Role.MATCH_MANAGER]))

    response = client.post(f"/admin/promotions/promocode/{promo.pk}/change/", {
        "match": match.pk, "code": "SAVE10", "kind": "PERCENT", "value": "10",
        "max_uses": "3", "is_active": "on", "seen_version": str(promo.version),
        "applications-TOTAL_FORMS": "0", "applications-INITIAL_FORMS": "0"})

    assert response.status_code == 200 and "4 uses are taken already" in \
        response.content.decode()
    assert PromoCode.objects.get(pk=promo.pk).max_uses == 5
