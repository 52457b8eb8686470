"""E1-F5: one OIB validator (ISO 7064, MOD 11,10), used by every module."""

import pytest

from core.errors import ValidationFailed
from core.oib import oib_is_valid, oib_validate

# Each checked against python-stdnum's stdnum.hr.oib before being written down here.
VALID = ["69435151530", "12345678903", "94577403194", "33392005961", "71481280786"]


@pytest.mark.parametrize("oib", VALID)
def test_it_accepts_a_known_valid_oib(oib):
    assert oib_validate(oib) == oib
    assert oib_is_valid(oib)


def test_it_hands_back_the_oib_without_spaces_or_dashes():
    assert oib_validate(" 6943 5151-530 ") == "69435151530"


@pytest.mark.parametrize(
    ("oib", "message"),
    [
        ("69435151531", "check digit"),
        ("12345678900", "check digit"),
        ("6943515153", "11 digits"),
        ("694351515300", "11 digits"),
        ("6943515153A", "only digits"),
        ("ABCDEFGHIJK", "only digits"),
    ],
)
def test_it_rejects_an_invalid_oib_saying_why(oib, message):
    with pytest.raises(ValidationFailed) as caught:
        oib_validate(oib)

    error = caught.value
    assert error.status_code == 422
    assert error.code == "oib_invalid"
    assert message in error.detail
    assert error.fields == {"oib": [error.detail]}
    assert not oib_is_valid(oib)


def test_it_names_the_field_the_caller_asks_for():
    with pytest.raises(ValidationFailed) as caught:
        oib_validate("69435151531", field="holders.0.oib")

    assert list(caught.value.fields) == ["holders.0.oib"]


def test_it_treats_a_missing_value_as_invalid_not_as_a_crash():
    assert not oib_is_valid(None)
    with pytest.raises(ValidationFailed) as caught:
        oib_validate(None)

    assert caught.value.code == "oib_invalid"


def test_profiles_validate_through_the_one_shared_service():
    from ticketing.services import profiles

    assert profiles.oib_validate is oib_validate
