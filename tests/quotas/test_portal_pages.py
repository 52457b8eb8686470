"""The portal's pages (/portal/): sign-in by SSO token and magic link, redirects to the portal's
own sign-in page, the dashboard, and the quota page refusing other people's quotas."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quotas.services.magic_links import magic_link_issue
from tests.conftest import sso_token
from tests.quotas.conftest import (
    HOLDER_EMAIL,
    make_quota,
    numbered_match,
    standing_match,
    token_in,
)
from ticketing.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client():
    return Client()


def signed_in(email: str) -> Client:
    client = Client()
    user = User.objects.filter(email=email).first() or User.objects.create_user(email=email)
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", ["/portal/", "/portal/quotas/1/"])
def test_it_sends_a_signed_out_visitor_to_the_portal_sign_in_page(browser_client, path):
    response = browser_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/login/?next={path}"


def test_the_sign_in_page_explains_both_ways_in(browser_client):
    response = browser_client.get("/portal/login/")

    assert response.status_code == 200
    assert b'name="drupal_token"' in response.content
    assert b"mint_sso_token" in response.content  # the embedded default's local SSO key


def test_a_webshop_token_in_the_link_signs_the_holder_in_and_goes_on(browser_client):
    token = sso_token("Fan@Example.com", "drupal-77")

    response = browser_client.get("/portal/login/", {"token": token, "next": "/portal/quotas/5/"})

    assert response.status_code == 302
    assert response["Location"] == "/portal/quotas/5/"
    user = User.objects.get(drupal_user_id="drupal-77")
    assert user.email == "fan@example.com"
    assert browser_client.get("/portal/").status_code == 200


def test_the_form_posts_the_token_and_lands_on_the_dashboard(browser_client):
    response = browser_client.post("/portal/login/", {"drupal_token": sso_token("a@example.com")})

    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_it_never_redirects_to_another_site_after_sign_in(browser_client):
    response = browser_client.get("/portal/login/", {"token": sso_token("a@example.com"),
                                                     "next": "https://evil.example/"})

    assert response["Location"] == "/portal/"


@pytest.mark.parametrize(("token", "status", "text"), [
    pytest.param("not-a-jwt", 401, b"not valid", id="forged"),
    pytest.param(None, 401, b"expired", id="expired"),
])
def test_it_refuses_a_bad_webshop_token_and_says_why(browser_client, token, status, text):
    token = token or sso_token("a@example.com", lifetime_seconds=-60)

    response = browser_client.post("/portal/login/", {"drupal_token": token})

    assert response.status_code == status
    assert text in response.content
    assert "_auth_user_id" not in browser_client.session


def test_it_refuses_a_blocked_account(browser_client):
    response = browser_client.get("/portal/login/", {"token": sso_token("b@example.com",
                                                                        status="blocked")})

    assert response.status_code == 403
    assert "_auth_user_id" not in browser_client.session


def test_sign_out_ends_the_session(browser_client):
    browser_client.get("/portal/login/", {"token": sso_token("a@example.com")})

    response = browser_client.post("/portal/logout/")

    assert response["Location"] == "/portal/login/"
    assert browser_client.get("/portal/").status_code == 302


def test_the_magic_link_signs_the_recipient_in_and_opens_the_quota(browser_client):
    quota = make_quota(numbered_match(), quantity=2)

    response = browser_client.get(magic_link_issue(quota=quota))

    assert response.status_code == 302
    assert response["Location"] == f"/portal/quotas/{quota.pk}/"
    page = browser_client.get(response["Location"])
    assert page.status_code == 200
    assert b'id="cards"' in page.content


def test_a_tampered_magic_link_is_refused(browser_client):
    quota = make_quota(numbered_match(), quantity=2)

    link = magic_link_issue(quota=quota)

    response = browser_client.get(link.replace(token_in(link), token_in(link)[:-1] + "x"))

    assert response.status_code == 400
    assert b"no longer works" in response.content


def test_someone_elses_quota_is_answered_as_a_missing_one():
    quota = make_quota(numbered_match(), quantity=2)
    intruder = signed_in("intruder@example.com")

    response = intruder.get(f"/portal/quotas/{quota.pk}/")

    assert response.status_code == 404
    assert b"No such quota." in response.content
    assert b"No such quota." in intruder.get("/portal/quotas/999999/").content


def test_a_missing_quota_is_not_found():
    response = signed_in(HOLDER_EMAIL).get("/portal/quotas/999999/")

    assert response.status_code == 404


def test_the_dashboard_lists_counts_seats_and_a_near_expiry_reminder():
    match = numbered_match()
    soon = make_quota(match, quantity=2, expires_at=timezone.now() + timedelta(days=1))
    make_quota(standing_match(), sectors=("G",), quantity=3)

    response = signed_in(HOLDER_EMAIL).get("/portal/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="quota-item') == 2
    assert f'data-quota-id="{soon.pk}"' in html
    assert "expiry-soon" in html and "Claim soon:" in html
    assert 'data-count="ALLOCATED">2<' in html and 'data-count="ALLOCATED">3<' in html
    seats = list(soon.seats.select_related("inventory"))
    assert f"A·{seats[0].inventory.row_label}·{seats[0].inventory.seat_number}" in html


def test_the_dashboard_fragment_is_only_the_list():
    make_quota(numbered_match(), quantity=1)

    response = signed_in(HOLDER_EMAIL).get("/portal/", {"fragment": "list"})

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'class="quota-list"' in response.content


def test_the_delegation_button_appears_only_when_the_quota_allows_it():
    match = numbered_match()
    allowed = make_quota(match, quantity=2, can_create_subquotas=True)
    plain = make_quota(match, quantity=2)
    client = signed_in(HOLDER_EMAIL)

    assert b"Send tickets to someone else" in client.get(f"/portal/quotas/{allowed.pk}/").content
    assert b"Send tickets to someone else" not in client.get(f"/portal/quotas/{plain.pk}/").content


def test_a_standing_match_gets_a_quantity_selector_instead_of_cards():
    quota = make_quota(standing_match(), sectors=("G",), quantity=3)

    page = signed_in(HOLDER_EMAIL).get(f"/portal/quotas/{quota.pk}/").content

    assert b'id="claim-quantity"' in page
    assert b'id="cards"' not in page
