"""Brute force on /admin/login/ (django-axes): after AXES_FAILURE_LIMIT wrong passwords the
account is locked, the right password is refused too, and the lockout is logged and kept."""

import logging

import pytest
from axes.models import AccessAttempt

pytestmark = pytest.mark.django_db
URL = "/admin/login/?next=/admin/"


def attempt(client, email, password, address="203.0.113.7"):
    return client.post(URL, {"username": email, "password": password},
                       REMOTE_ADDR=address)


@pytest.fixture
def admin_user(make_user):
    return make_user("root@hns.example", staff=True, is_superuser=True, password="right-pass-1")


def test_the_right_password_works_before_the_limit(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, admin_user.email, "wrong").status_code == 200  # the form again

    response = attempt(client, admin_user.email, "right-pass-1")

    assert response.status_code == 302 and response.url == "/admin/"


def test_after_the_limit_the_right_password_is_refused_and_logged(client, admin_user, settings,
                                                                  caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(client, admin_user.email, "wrong")
        response = attempt(client, admin_user.email, "right-pass-1")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page
    assert AccessAttempt.objects.get(username=admin_user.email).failures_since_start >= (
        settings.AXES_FAILURE_LIMIT)
    assert "Locking out" in caplog.text and "after repeated login failures" in caplog.text


def test_rotating_addresses_does_not_lift_the_account_lock(client, admin_user, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, admin_user.email, "wrong", address=f"198.51.100.{n + 1}")

    response = attempt(client, admin_user.email, "right-pass-1", address="192.0.2.99")

    assert response.status_code == 429


@pytest.mark.parametrize(("remote", "forwarded", "recorded"), [
    pytest.param("10.0.0.5", "6.6.6.6, 198.51.100.1", "198.51.100.1", id="via a trusted proxy"),
    pytest.param("203.0.113.7", "198.51.100.1", "203.0.113.7", id="header from anyone else"),
])
def test_attempts_are_recorded_with_the_address_of_core_net_client_ip(
        client, admin_user, settings, remote, forwarded, recorded):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]

    client.post(URL, {"username": admin_user.email, "password": "wrong"},
                REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert AccessAttempt.objects.get().ip_address == recorded
