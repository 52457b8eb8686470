"""Every HTML page sends the Content-Security-Policy (django-csp), X-Frame-Options and a
Referrer-Policy; our pages' script tags carry the request's nonce, and the policy names that
nonce, so no script runs inline unless a template gave it the nonce. (HSTS and the production
policy: tests/test_deploy_check.py.)"""

import re

import pytest
from django.test import Client

from tests.quotas.conftest import HOLDER_EMAIL, make_quota, numbered_match
from ticketing.models import User

pytestmark = pytest.mark.django_db


def signed_in(email: str, **fields) -> Client:
    client = Client()
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, **fields)
    client.force_login(user)
    return client


def script_nonces(html: str) -> set[str]:
    """The nonces of the page's script tags that run (json_script's data blocks do not)."""
    tags = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "application/json" not in tag]
    assert tags, "the page has scripts"
    return {(re.search(r'nonce="([^"]+)"', tag) or [None, None])[1] for tag in tags}


def assert_secure_headers(response):
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    return policy


@pytest.mark.parametrize("path", ["/portal/login/", "/admin/login/"])
def test_sign_in_pages_send_the_headers(client, path):
    assert_secure_headers(client.get(path))


def test_the_portal_quota_page_scripts_carry_the_policys_nonce(settings):
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_123"
    quota = make_quota(numbered_match())

    response = signed_in(HOLDER_EMAIL).get(f"/portal/quotas/{quota.pk}/")

    policy = assert_secure_headers(response)
    (nonce,) = script_nonces(response.content.decode())
    assert f"'nonce-{nonce}'" in policy
    assert "https://js.stripe.com" in policy and b"https://js.stripe.com/v3/" in response.content


def test_each_request_gets_a_fresh_nonce():
    client = signed_in(HOLDER_EMAIL)

    first, second = (script_nonces(client.get("/portal/").content.decode()) for _ in range(2))

    assert first != second


def test_admin_pages_with_our_scripts_carry_the_nonce(make_user, back_office):
    root = make_user("root@hns.example", staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)

    response = client.get("/admin/packages/package/")

    policy = assert_secure_headers(response)
    nonces = script_nonces(response.content.decode()) - {None}  # Django's own load from 'self'
    assert len(nonces) == 1 and f"'nonce-{nonces.pop()}'" in policy
