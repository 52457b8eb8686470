"""With DEBUG off, startup refuses the embedded development secrets and says what to set."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 50,
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "FIELD_HASH_KEY": "h" * 32,
    "SSO_JWKS_URL": "https://sso.hns.example/jwks.json",
}


def start(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FIELD_", "SSO_"))}
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
