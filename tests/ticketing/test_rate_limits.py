"""Every guessable or costly entry has a named limit (core.limits; README, "Rate limits"):
past it, 429 `throttled` with Retry-After in the standard error shape, and the limit is the
setting's. Petrol PINs and promo codes have their own tests (test_counter, test_validate)."""

import pytest

from tests.conftest import sso_token
from tests.seating.factories import make_price_category
from tests.ticketing.test_cart import add

pytestmark = pytest.mark.django_db


def assert_throttled(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"] == "throttled" and response.json()["detail"]


@pytest.mark.parametrize(("path", "body"), [
    ("/api/auth/login", {"drupal_token": "not-a-token"}),
    ("/api/auth/refresh", {"refresh_token": "not-a-token"}),
])
def test_the_token_exchange_is_limited_per_address(api, settings, path, body):
    limit = int(settings.AUTH_THROTTLE_RATE.split("/")[0])
    for _ in range(limit):
        assert api.post(path, body, format="json").status_code != 429

    assert_throttled(api.post(path, body, format="json"))


def test_the_portal_sign_in_is_limited_per_address(client, settings):
    settings.AUTH_THROTTLE_RATE = "3/m"
    for _ in range(3):
        assert client.post("/portal/login/", {"drupal_token": "bad"}).status_code == 401

    refused = client.post("/portal/login/", {"drupal_token": sso_token("fan@example.com")})

    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many sign-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.post("/portal/login/", {"drupal_token": "bad"},
                       REMOTE_ADDR="198.51.100.7").status_code == 401  # another address


def test_magic_links_are_limited_per_address(client, settings):
    settings.MAGIC_LINK_RATE_PER_IP = "2/h"
    for n in range(2):
        assert client.get(f"/portal/magic/guess-{n}/").status_code == 400  # not a link

    refused = client.get("/portal/magic/guess-3/")

    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many sign-in links" in refused.content.decode()


def test_a_locked_out_admin_login_says_when_to_come_back(client, make_user, settings):
    make_user("root@hns.example", staff=True, is_superuser=True, password="right-pass-1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "root@hns.example", "password": "wrong"})

    refused = client.post("/admin/login/", {"username": "root@hns.example",
                                            "password": "right-pass-1"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "locked for 15 minutes" in refused.content.decode()


def test_joining_a_waiting_room_is_limited_per_account(fan, login, match, settings):
    settings.QUEUE_JOIN_RATE = "3/m"
    for _ in range(3):
        assert fan.post(f"/api/queue/{match.id}/join").status_code != 429

    assert_throttled(fan.post(f"/api/queue/{match.id}/join"))
    assert login("other@example.com").post(f"/api/queue/{match.id}/join").status_code != 429


def test_adding_to_the_cart_is_limited_per_account_seats_and_packages_together(
        fan, login, match, zone, settings):
    settings.CART_ADD_RATE = "3/m"
    empty_zone = make_price_category(match=match, name="Nothing here")
    for _ in range(2):
        assert add(fan, match, empty_zone).status_code != 429
    package = fan.post("/api/cart/add-package", {"match_id": match.id, "package_id": 999},
                       format="json")
    assert package.status_code == 404

    assert_throttled(add(fan, match, zone))
    assert add(login("other@example.com"), match, zone).status_code == 201


def test_an_anonymous_request_is_refused_before_it_counts(api, fan, match, zone, settings):
    settings.CART_ADD_RATE = "1/m"
    for _ in range(3):
        assert add(api, match, zone).status_code == 401

    assert add(fan, match, zone).status_code == 201
