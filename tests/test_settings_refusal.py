"""With DEBUG off, startup refuses the embedded development secrets, weak or published ones,
and a payment setup that would hand out tickets for free, and says what to set; a PostgreSQL
database without an explicit DJANGO_DEBUG refuses too."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "FIELD_HASH_KEY": secrets.token_urlsafe(32),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
    "SSO_JWKS_URL": "https://sso.hns.example/jwks.json",
    "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(12),
    "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
}
# Variables of the environment the tests run in that would change what starts.
OURS = ("DJANGO_", "FIELD_", "SSO_", "JWT_", "STRIPE_", "PAYMENTS_", "DATABASE_", "SECURE_",
        "API_DOCS_", "AXES_", "CSP_")


def start(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update({k: v for k, v in (PRODUCTION | overrides).items() if v is not None})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    code = "import django; django.setup(); print('started')"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_it_starts_with_every_production_setting():
    result = start()

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_it_refuses_the_default_secret_key():
    result = start(DJANGO_SECRET_KEY=None)

    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY" in result.stderr


def test_it_refuses_a_missing_encryption_key():
    result = start(FIELD_ENCRYPTION_KEYS=None)

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_it_refuses_to_run_without_an_sso_key():
    result = start(SSO_JWKS_URL=None)

    assert result.returncode != 0
    assert "SSO_JWKS_URL" in result.stderr


WEAK = ["change-me", "short", "secret", "dev-only-insecure-secret-key-change-me",
        "compose-only-secret-change-me-0123456789abcdef", "x" * 64,
        "change-me-0f3a9c1e7b5d2468ace13579bdf02468ace13579bdf0246"]


@pytest.mark.parametrize("value", WEAK)
def test_it_refuses_a_weak_or_published_secret_key(value):
    result = start(DJANGO_SECRET_KEY=value)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("value", ["change-me", "short", "secret", "s" * 80])
def test_it_refuses_a_weak_jwt_signing_key(value):
    result = start(JWT_SIGNING_KEY=value)

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY" in result.stderr


def test_it_refuses_a_missing_jwt_signing_key():
    result = start(JWT_SIGNING_KEY=None)

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY is not set" in result.stderr


def test_it_refuses_a_jwt_signing_key_equal_to_the_secret_key():
    result = start(JWT_SIGNING_KEY=PRODUCTION["DJANGO_SECRET_KEY"])

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY is the same as DJANGO_SECRET_KEY" in result.stderr


def test_it_refuses_stripe_without_its_webhook_secret():
    result = start(STRIPE_WEBHOOK_SECRET=None)

    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET" in result.stderr


def test_the_embedded_default_needs_no_setting():
    result = start(**{name: None for name in PRODUCTION})

    assert result.returncode == 0, result.stderr


def test_it_refuses_the_compose_example_field_keys():
    result = start(FIELD_HASH_KEY="compose-only-hash-key")

    assert result.returncode != 0
    assert "FIELD_HASH_KEY" in result.stderr


def test_it_refuses_postgresql_with_debug_unset():
    result = start(DJANGO_DEBUG=None,
                   DATABASE_URL="postgres://postgres@127.0.0.1:5432/ticketing_nowhere")

    assert result.returncode != 0
    assert "DJANGO_DEBUG is not set" in result.stderr


def test_it_starts_on_postgresql_when_debug_is_said():
    result = start(DJANGO_DEBUG="true",
                   DATABASE_URL="postgres://postgres@127.0.0.1:5432/ticketing_nowhere")

    assert result.returncode == 0, result.stderr


def test_it_refuses_to_run_without_a_payment_provider():
    result = start(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None)

    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr
    assert "PAYMENTS_LOCAL_ENABLED" in result.stderr


def test_it_refuses_the_local_provider_unless_explicitly_enabled():
    result = start(STRIPE_SECRET_KEY=None, PAYMENTS_PROVIDER="local")

    assert result.returncode != 0
    assert "PAYMENTS_LOCAL_ENABLED" in result.stderr


def test_a_demo_may_enable_the_local_provider_explicitly():
    result = start(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None,
                   PAYMENTS_LOCAL_ENABLED="true")

    assert result.returncode == 0, result.stderr
