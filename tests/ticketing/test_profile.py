"""E1-F3: the fan's own (default) ticketing profile, through /api/users/me/profile."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ticketing.models import Profile

URL = "/api/users/me/profile"
OIB = "69435151530"
OTHER_OIB = "12345678903"
PASSPORT = "C01X00T47"
# Noon in Zagreb: the age rule counts birthdays by the local calendar day.
TODAY = datetime(2025, 6, 15, 12, 0, tzinfo=ZoneInfo("Europe/Zagreb"))


def croatian(**fields) -> dict:
    return {"first_name": "Ivana", "last_name": "Horvat", "date_of_birth": "1990-04-12",
            "nationality": "HR", "oib": OIB} | fields


def foreigner(**fields) -> dict:
    return {"first_name": "Lena", "last_name": "Vogel", "date_of_birth": "1988-09-30",
            "nationality": "DE", "passport_number": PASSPORT} | fields


def complete(**fields) -> dict:
    return croatian(**{"phone": "+385911234567", "address": "Ilica 1", "city": "Zagreb",
                       "postal_code": "10000"} | fields)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """Every error has the same three keys; `field` must be among the named fields."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    if field:
        assert body["fields"][field]
    return body


@pytest.fixture
def fan_with_profile(fan):
    assert fan.post(URL, croatian(), format="json").status_code == 201
    return fan


# --- Reading and creating -------------------------------------------------------------------

def test_it_answers_404_suggesting_post_when_there_is_no_profile(fan):
    body = assert_error(fan.get(URL), 404, "profile_not_found")

    assert "POST" in body["detail"]


def test_it_creates_a_profile_and_returns_it_with_201(fan):
    response = fan.post(URL, croatian(email="ivana@example.com"), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["first_name"] == "Ivana"
    assert body["last_name"] == "Horvat"
    assert body["full_name"] == "Ivana Horvat"
    assert body["date_of_birth"] == "1990-04-12"
    assert body["nationality"] == "HR"
    assert body["email"] == "ivana@example.com"
    assert body["is_complete"] is False
    profile = Profile.objects.get(user=fan.user)
    assert body["id"] == profile.pk
    assert profile.oib == OIB


def test_it_returns_the_profile_once_created(fan_with_profile):
    response = fan_with_profile.get(URL)

    assert response.status_code == 200
    assert response.json()["full_name"] == "Ivana Horvat"


def test_it_normalises_the_nationality_to_upper_case(fan):
    response = fan.post(URL, croatian(nationality="hr"), format="json")

    assert response.status_code == 201
    assert response.json()["nationality"] == "HR"


def test_it_refuses_a_second_profile_with_409(fan_with_profile):
    body = assert_error(fan_with_profile.post(URL, croatian(), format="json"), 409,
                        "profile_exists")

    assert "PUT" in body["detail"]
    assert Profile.objects.filter(user=fan_with_profile.user).count() == 1


# --- Updating -------------------------------------------------------------------------------

def test_it_answers_404_suggesting_post_to_an_update_before_the_profile_exists(fan):
    body = assert_error(fan.put(URL, {"phone": "+385911234567"}, format="json"), 404,
                        "profile_not_found")

    assert "POST" in body["detail"]
    assert not Profile.objects.exists()


def test_it_updates_the_profile(fan_with_profile):
    response = fan_with_profile.put(URL, {"last_name": "Kovač", "phone": "+385911234567"},
                                    format="json")

    assert response.status_code == 200
    assert response.json()["full_name"] == "Ivana Kovač"
    profile = Profile.objects.get(user=fan_with_profile.user)
    assert (profile.last_name, profile.phone, profile.first_name) == (
        "Kovač", "+385911234567", "Ivana")
    assert profile.oib == OIB


def test_it_accepts_the_same_oib_sent_again_on_update(fan_with_profile):
    response = fan_with_profile.put(URL, {"oib": OIB, "city": "Split"}, format="json")

    assert response.status_code == 200
    assert response.json()["city"] == "Split"


def test_it_rejects_a_changed_oib_with_400(fan_with_profile):
    assert_error(fan_with_profile.put(URL, {"oib": OTHER_OIB}, format="json"), 400,
                 "oib_immutable", field="oib")

    assert Profile.objects.get(user=fan_with_profile.user).oib == OIB


def test_it_rejects_clearing_a_set_oib(fan):
    fan.post(URL, foreigner(oib=OIB), format="json")

    assert_error(fan.put(URL, {"oib": ""}, format="json"), 400, "oib_immutable", field="oib")
    assert Profile.objects.get(user=fan.user).oib == OIB


def test_a_foreigner_may_add_an_oib_later(fan):
    fan.post(URL, foreigner(), format="json")

    response = fan.put(URL, {"oib": OIB}, format="json")

    assert response.status_code == 200
    assert response.json()["oib_masked"] == "*******1530"


# --- OIB rules ------------------------------------------------------------------------------

def test_it_rejects_an_oib_another_account_uses_with_409(fan, login):
    login("other@example.com").post(URL, croatian(), format="json")

    assert_error(fan.post(URL, croatian(first_name="Marko"), format="json"), 409, "oib_taken",
                 field="oib")
    assert not Profile.objects.filter(user=fan.user).exists()


def test_it_rejects_adding_an_oib_another_account_uses_with_409(fan, login):
    login("other@example.com").post(URL, croatian(), format="json")
    fan.post(URL, foreigner(), format="json")

    assert_error(fan.put(URL, {"oib": OIB}, format="json"), 409, "oib_taken", field="oib")
    assert Profile.objects.get(user=fan.user).oib == ""


def test_it_rejects_an_oib_with_a_wrong_check_digit_with_422(fan):
    body = assert_error(fan.post(URL, croatian(oib="69435151531"), format="json"), 422,
                        "oib_invalid", field="oib")

    assert "check digit" in body["fields"]["oib"][0]
    assert not Profile.objects.exists()


def test_it_rejects_an_oib_with_a_wrong_check_digit_on_update(fan):
    fan.post(URL, foreigner(), format="json")

    assert_error(fan.put(URL, {"oib": "69435151531"}, format="json"), 422, "oib_invalid",
                 field="oib")


@pytest.mark.parametrize("oib", ["6943515153", "6943515153X"])
def test_it_rejects_an_oib_that_is_not_11_digits(fan, oib):
    assert_error(fan.post(URL, croatian(oib=oib), format="json"), 422, "oib_invalid",
                 field="oib")


@pytest.mark.parametrize("missing", [{"oib": ""}, {"oib": None}])
def test_a_croatian_without_an_oib_is_rejected_with_422(fan, missing):
    data = {key: value for key, value in croatian().items() if key != "oib"}
    if missing["oib"] is not None:
        data |= missing

    assert_error(fan.post(URL, data, format="json"), 422, "oib_required", field="oib")


def test_becoming_croatian_without_an_oib_is_rejected(fan):
    fan.post(URL, foreigner(), format="json")

    assert_error(fan.put(URL, {"nationality": "HR"}, format="json"), 422, "oib_required",
                 field="oib")


def test_a_foreigner_without_a_passport_is_rejected_with_422(fan):
    assert_error(fan.post(URL, foreigner(passport_number=""), format="json"), 422,
                 "passport_required", field="passport_number")


def test_a_foreigner_with_a_passport_needs_no_oib(fan):
    response = fan.post(URL, foreigner(), format="json")

    assert response.status_code == 201
    assert response.json()["oib_masked"] == ""
    assert response.json()["passport_masked"] == "*****0T47"


# --- Age ------------------------------------------------------------------------------------

def test_someone_turning_18_today_may_create_a_profile(login):
    with time_machine.travel(TODAY, tick=False):
        response = login("fan@example.com").post(URL, croatian(date_of_birth="2007-06-15"),
                                                 format="json")

    assert response.status_code == 201


def test_someone_turning_18_tomorrow_is_rejected_with_an_age_message(login):
    with time_machine.travel(TODAY, tick=False):
        response = login("fan@example.com").post(URL, croatian(date_of_birth="2007-06-16"),
                                                 format="json")

    body = assert_error(response, 422, "too_young", field="date_of_birth")
    assert "at least 18 years old" in body["detail"]
    assert not Profile.objects.exists()


def test_an_update_that_makes_the_holder_a_minor_is_rejected(login):
    with time_machine.travel(TODAY, tick=False):
        fan = login("fan@example.com")
        fan.post(URL, croatian(), format="json")
        response = fan.put(URL, {"date_of_birth": "2010-01-01"}, format="json")

    assert_error(response, 422, "too_young", field="date_of_birth")
    assert str(Profile.objects.get().date_of_birth) == "1990-04-12"


# --- Completeness ---------------------------------------------------------------------------

def test_a_profile_with_every_field_filled_is_complete(fan):
    response = fan.post(URL, complete(), format="json")

    assert response.json()["is_complete"] is True


@pytest.mark.parametrize("missing", ["phone", "address", "city", "postal_code"])
def test_a_profile_missing_a_contact_field_is_incomplete(fan, missing):
    response = fan.post(URL, complete(**{missing: ""}), format="json")

    assert response.status_code == 201
    assert response.json()["is_complete"] is False


def test_filling_the_missing_fields_completes_the_profile(fan_with_profile):
    assert fan_with_profile.get(URL).json()["is_complete"] is False

    response = fan_with_profile.put(
        URL, {"phone": "+385911234567", "address": "Ilica 1", "city": "Zagreb",
              "postal_code": "10000"}, format="json")

    assert response.json()["is_complete"] is True
    assert fan_with_profile.get(URL).json()["is_complete"] is True


# --- Masking and the error shape ------------------------------------------------------------

def test_the_oib_comes_back_masked_to_its_last_4_digits_and_never_whole(fan):
    created = fan.post(URL, croatian(passport_number=PASSPORT), format="json")
    read = fan.get(URL)
    updated = fan.put(URL, {"phone": "+385911234567"}, format="json")

    for response in (created, read, updated):
        assert response.json()["oib_masked"] == "*******1530"
        assert "oib" not in response.json()
        assert OIB.encode() not in response.content
        assert PASSPORT.encode() not in response.content


def test_a_malformed_request_gets_the_same_error_shape(fan):
    body = assert_error(fan.post(URL, {"nationality": "Croatia"}, format="json"), 400, "invalid")

    assert {"first_name", "last_name", "date_of_birth", "nationality"} <= set(body["fields"])


def test_an_anonymous_request_gets_the_same_error_shape(api):
    assert_error(api.get(URL), 401, "not_authenticated")
