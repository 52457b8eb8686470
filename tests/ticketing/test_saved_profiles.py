"""E1-F4: saved profiles (people a fan buys for), through /api/users/me/saved-profiles."""

from datetime import date

import pytest

from core.errors import DomainError
from tests.concurrency import run_together
from tests.ticketing.test_checkout import valid_oib
from ticketing.models import SavedProfile
from ticketing.services.profiles import saved_profile_create

URL = "/api/users/me/saved-profiles"
OIB = "69435151530"
OTHER_OIB = "12345678903"


def person(**fields) -> dict:
    return {"first_name": "Luka", "last_name": "Horvat", "date_of_birth": "2014-03-02",
            "nationality": "HR", "oib": OIB, "relationship": "son"} | fields


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}
    assert body["error"] == code
    if field:
        assert body["fields"][field]
    return body


@pytest.fixture
def other_fan(login):
    return login("other@example.com")


def create(client, **fields) -> dict:
    response = client.post(URL, person(**fields), format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- CRUD -----------------------------------------------------------------------------------

def test_it_creates_a_saved_profile_and_returns_its_id(fan):
    body = create(fan)

    saved = SavedProfile.objects.get(pk=body["id"])
    assert saved.user == fan.user
    assert (saved.full_name, saved.oib, saved.relationship) == ("Luka Horvat", OIB, "son")
    assert fan.get(f"{URL}/{body['id']}").json()["full_name"] == "Luka Horvat"


def test_a_minor_may_be_a_saved_profile(fan):
    assert create(fan, date_of_birth="2020-01-01")["date_of_birth"] == "2020-01-01"


def test_it_lists_the_fans_saved_profiles_with_the_oib_masked(fan):
    create(fan)
    create(fan, first_name="Ana", oib=OTHER_OIB, relationship="daughter")

    response = fan.get(URL)

    assert response.status_code == 200
    assert [(p["first_name"], p["oib_masked"]) for p in response.json()] == [
        ("Luka", "*******1530"), ("Ana", "*******8903")]
    assert OIB.encode() not in response.content
    assert OTHER_OIB.encode() not in response.content


def test_a_foreigner_is_saved_with_the_passport_masked(fan):
    body = create(fan, nationality="AT", oib="", passport_number="P1234567")

    assert body["passport_masked"] == "****4567"
    assert b"P1234567" not in fan.get(URL).content


def test_it_updates_a_saved_profile(fan):
    saved = create(fan)

    response = fan.put(f"{URL}/{saved['id']}", {"phone": "+385981112223", "relationship": "nephew"},
                       format="json")

    assert response.status_code == 200
    assert response.json()["relationship"] == "nephew"
    row = SavedProfile.objects.get(pk=saved["id"])
    assert (row.phone, row.relationship, row.first_name, row.oib) == (
        "+385981112223", "nephew", "Luka", OIB)


def test_it_deletes_a_saved_profile(fan):
    saved = create(fan)

    response = fan.delete(f"{URL}/{saved['id']}")

    assert response.status_code == 204
    assert not SavedProfile.objects.exists()
    assert_error(fan.get(f"{URL}/{saved['id']}"), 404, "saved_profile_not_found")
    assert_error(fan.delete(f"{URL}/{saved['id']}"), 404, "saved_profile_not_found")
    assert fan.get(URL).json() == []


# --- The limit ------------------------------------------------------------------------------

def test_the_11th_saved_profile_is_refused_with_a_limit_message(fan):
    for n in range(10):
        create(fan, oib=valid_oib(n + 1))

    body = assert_error(fan.post(URL, person(oib=valid_oib(11)), format="json"), 400,
                        "saved_profile_limit")

    assert "at most 10" in body["detail"]
    assert SavedProfile.objects.filter(user=fan.user).count() == 10


def test_deleting_one_makes_room_for_another(fan):
    ids = [create(fan, oib=valid_oib(n + 1))["id"] for n in range(10)]
    fan.delete(f"{URL}/{ids[0]}")

    create(fan, oib=valid_oib(11))

    assert SavedProfile.objects.filter(user=fan.user).count() == 10


# --- OIB rules ------------------------------------------------------------------------------

def test_a_duplicate_oib_among_the_fans_profiles_is_refused_with_409(fan):
    create(fan)

    assert_error(fan.post(URL, person(first_name="Ana"), format="json"), 409, "oib_duplicate",
                 field="oib")
    assert SavedProfile.objects.count() == 1


def test_updating_to_a_duplicate_oib_is_refused_with_409(fan):
    create(fan)
    other = create(fan, first_name="Ana", oib=OTHER_OIB)

    assert_error(fan.put(f"{URL}/{other['id']}", {"oib": OIB}, format="json"), 409,
                 "oib_duplicate", field="oib")
    assert SavedProfile.objects.get(pk=other["id"]).oib == OTHER_OIB


def test_updating_a_profile_with_its_own_oib_is_not_a_duplicate(fan):
    saved = create(fan)

    response = fan.put(f"{URL}/{saved['id']}", {"oib": OIB, "last_name": "Kovač"}, format="json")

    assert response.status_code == 200


def test_the_same_oib_may_be_saved_by_another_fan(fan, other_fan):
    create(other_fan)

    create(fan)

    assert SavedProfile.objects.filter(oib_hash=SavedProfile.objects.first().oib_hash).count() == 2


def test_an_invalid_oib_is_refused_with_422(fan):
    assert_error(fan.post(URL, person(oib="69435151531"), format="json"), 422, "oib_invalid",
                 field="oib")
    assert not SavedProfile.objects.exists()


def test_an_invalid_oib_is_refused_on_update(fan):
    saved = create(fan)

    assert_error(fan.put(f"{URL}/{saved['id']}", {"oib": "1234567890"}, format="json"), 422,
                 "oib_invalid", field="oib")


def test_a_croatian_needs_an_oib_and_a_foreigner_a_passport(fan):
    assert_error(fan.post(URL, person(oib=""), format="json"), 422, "oib_required", field="oib")
    assert_error(fan.post(URL, person(nationality="IT", oib=""), format="json"), 422,
                 "passport_required", field="passport_number")


# --- Someone else's saved profiles ----------------------------------------------------------

def test_a_fan_cannot_see_change_or_delete_someone_elses_saved_profile(fan, other_fan):
    theirs = create(other_fan)
    url = f"{URL}/{theirs['id']}"

    assert_error(fan.get(url), 404, "saved_profile_not_found")
    assert_error(fan.put(url, {"first_name": "Mallory"}, format="json"), 404,
                 "saved_profile_not_found")
    assert_error(fan.delete(url), 404, "saved_profile_not_found")
    assert fan.get(URL).json() == []
    assert SavedProfile.objects.get(pk=theirs["id"]).first_name == "Luka"


# --- Concurrency ----------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_creations_stop_at_exactly_10(make_user):
    user = make_user()
    def add(n: int):
        data = {"first_name": f"Person {n}", "last_name": "Horvat",
                "date_of_birth": date(2010, 1, 1), "nationality": "HR", "oib": valid_oib(n + 1)}
        return saved_profile_create(user=user, data=data)

    results = run_together(20, add)
    created = [r for r in results if not isinstance(r, Exception)]
    refused = [r.code for r in results if isinstance(r, DomainError)]
    # a deadlock or IntegrityError would land here
    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, DomainError)]

    assert unexpected == []
    assert len(created) == 10
    assert refused == ["saved_profile_limit"] * 10
    assert SavedProfile.objects.filter(user=user).count() == 10
