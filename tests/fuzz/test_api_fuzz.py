"""schemathesis over the whole API (/api/schema/), anonymously, as a signed-in fan and as a
superuser: for a bounded number of generated requests per operation, no answer is a server
error (5xx) and every documented answer matches the schema. FUZZ_EXAMPLES sets the bound (the
default keeps the run to a few minutes)."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

# Committed like production: each request is its own transaction, so one that fails in the
# database fails alone (inside a test's transaction it would abort every later request).
pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
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
def api_schema(transactional_db):
    loaded = schemathesis.openapi.from_dict(_api_schema())
    loaded.app = get_wsgi_application()
    return loaded


def call_and_validate(case, **kwargs) -> None:
    case.call_and_validate(checks=CHECKS, **kwargs)


@schema.parametrize()
@FUZZ
def test_anonymous_requests_never_fail_on_our_side(case):
    call_and_validate(case)


# Signing out would end the fan's session for every operation after it.
@schema.exclude(path="/api/auth/logout").parametrize()
@FUZZ
def test_a_fans_requests_never_fail_on_our_side(case, fan):
    call_and_validate(case, headers={"Authorization": f"Bearer {fan.tokens.access_token}"})


# The back office too (where it found most): on with FUZZ_STAFF=1, off by default to keep the
# suite's fuzzing under 5 minutes.
@pytest.mark.skipif(not os.environ.get("FUZZ_STAFF"), reason="FUZZ_STAFF=1 fuzzes as staff")
@schema.exclude(path="/api/auth/logout").parametrize()
@FUZZ
def test_a_superusers_requests_never_fail_on_our_side(case, staff_session):
    call_and_validate(case, **staff_session)


@pytest.fixture
def staff_session(make_user):
    """A superuser's admin session (how the back office calls the API), with its CSRF token."""
    client = Client()
    client.force_login(make_user("root@hns.example", staff=True, is_superuser=True))
    csrf = "c" * 32
    return {"cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
            "headers": {"X-CSRFToken": csrf}}
