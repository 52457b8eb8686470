"""schemathesis over the whole API (/api/schema/), anonymously and as a signed-in fan: for a
bounded number of generated requests per operation, no answer is a server error (5xx) and every
documented answer matches the schema. FUZZ_EXAMPLES sets the bound (CI's default keeps the run
under a few minutes)."""

import os

import pytest
import schemathesis
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _api_schema() -> dict:
    import yaml

    response = Client().get("/api/schema/")
    assert response.status_code == 200, "API_DOCS_ENABLED is on wherever the suite runs"
    return yaml.safe_load(response.content)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_schema(db):
    loaded = schemathesis.openapi.from_dict(_api_schema())
    loaded.app = get_wsgi_application()
    return loaded


@pytest.fixture(autouse=True)
def _one_connection():
    """Requests share the test's transaction, as Django's test client makes them do."""
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


@schema.parametrize()
@FUZZ
def test_anonymous_requests_never_fail_on_our_side(case):
    case.call_and_validate(checks=CHECKS)


# Signing out would end the fan's session for every operation after it.
@schema.exclude(path="/api/auth/logout").parametrize()
@FUZZ
def test_a_fans_requests_never_fail_on_our_side(case, fan):
    case.call_and_validate(checks=CHECKS, headers={
        "Authorization": f"Bearer {fan.tokens.access_token}"})


@schema.exclude(path="/api/auth/logout").parametrize()
@FUZZ
def test_a_superusers_requests_never_fail_on_our_side(case, staff_session):
    case.call_and_validate(checks=CHECKS, **staff_session)


@pytest.fixture
def staff_session(make_user):
    """A superuser's admin session (how the back office calls the API), with its CSRF token."""
    client = Client()
    client.force_login(make_user("root@hns.example", staff=True, is_superuser=True))
    csrf = "c" * 32
    return {"cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
            "headers": {"X-CSRFToken": csrf}}
