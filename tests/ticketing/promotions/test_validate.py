"""POST /api/promo-codes/validate (US7): a fan previews a code's discount on the cart; every
try counts per account and per IP, and past either limit it is 429 with Retry-After."""

import pytest

from tests.assertions import assert_error
from tests.ticketing.promotions.conftest import make_promo
from tests.ticketing.test_checkout import cart_of

pytestmark = pytest.mark.django_db
URL = "/api/promo-codes/validate"


def validate(client, match, code, cart=None, **extra):
    body = {"match_id": match.id, "code": code} | ({"cart_id": cart.id} if cart else {})
    return client.post(URL, body, format="json", **extra)


def test_a_fan_previews_the_discount_on_the_cart(buyer, match, zone):
    make_promo(match, code="SAVE10", value="10", max_uses=5)
    cart = cart_of(buyer, match, zone, 2)

    response = validate(buyer, match, "save10", cart)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["valid"], body["code"], body["kind"], body["uses_left"]) == (
        True, "SAVE10", "PERCENT", 5)
    assert (body["list_amount"], body["discount_amount"], body["ticket_amount"],
            body["fee_amount"], body["total_amount"]) == (
        "80.00", "8.00", "72.00", "4.32", "76.32")


def test_without_a_cart_it_only_says_the_code_is_valid(buyer, match):
    make_promo(match, code="SAVE10")

    body = validate(buyer, match, "SAVE10").json()

    assert body["valid"] is True
    assert "total_amount" not in body


def test_errors_name_the_field(buyer, match, zone):
    make_promo(match, code="OLDCODE", is_active=False)

    for code, status, error in (("NOSUCH1", 404, "promo_code_not_found"),
                                ("OLDCODE", 422, "promo_code_inactive")):
        response = validate(buyer, match, code)
        assert_error(response, status, error)
        assert "promo_code" in response.json()["fields"]
    assert "match_id" in assert_error(buyer.post(URL, {"code": "X"}, format="json"), 400,
                                      "invalid")["fields"]


def test_another_fans_cart_is_not_found(buyer, login, match, zone):
    make_promo(match, code="SAVE10")
    cart = cart_of(buyer, match, zone, 1)

    assert_error(validate(login("other@example.com"), match, "SAVE10", cart), 404,
                 "cart_not_found")


def test_an_anonymous_caller_is_refused(api, match):
    assert api.post(URL, {"match_id": match.id, "code": "SAVE10"}, format="json"
                    ).status_code == 401


def test_guessing_is_limited_per_account(buyer, match, settings):
    settings.PROMO_VALIDATE_RATE_PER_USER = "3/h"

    for n in range(3):
        assert_error(validate(buyer, match, f"GUESS{n}"), 404, "promo_code_not_found")
    response = validate(buyer, match, "GUESS9")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_guessing_is_limited_per_ip_across_accounts(login, match, settings):
    settings.PROMO_VALIDATE_RATE_PER_IP = "2/h"
    fans = [login(f"fan{n}@example.com") for n in range(3)]

    assert validate(fans[0], match, "GUESS1").status_code == 404
    assert validate(fans[1], match, "GUESS2").status_code == 404
    assert validate(fans[2], match, "GUESS3").status_code == 429
