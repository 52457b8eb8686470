"""With production settings (DEBUG off, every required variable set, nothing else),
`manage.py check --deploy` finds nothing to warn about: HSTS, HTTPS redirect, secure cookies,
a strong key, CSP and the login lockout are on by default."""

import os
import subprocess
import sys

from tests.test_settings_refusal import OURS, PRODUCTION, ROOT


def deploy_check(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update({k: v for k, v in (PRODUCTION | overrides).items() if v is not None})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                           "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_deploy_check_passes_with_production_settings():
    result = deploy_check()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_sends_a_content_security_policy_and_hsts():
    code = ("import django; django.setup()\n"
            "from django.test import Client\n"
            "r = Client().get('/healthz', secure=True)\n"
            "print(r.headers['Content-Security-Policy'])\n"
            "print(r.headers['Strict-Transport-Security'])")
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(PRODUCTION | {"DJANGO_SETTINGS_MODULE": "config.settings",
                             "ALLOWED_HOSTS": "testserver"})
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    csp, hsts = result.stdout.strip().splitlines()[-2:]
    assert "script-src 'self' https://js.stripe.com" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert hsts.startswith("max-age=31536000")
