"""Shared fixtures. Tests run against whatever DATABASE_URL/REDIS_URL point at (PostgreSQL and
Redis in CI, SQLite and local memory otherwise); tests that need PostgreSQL are marked
`postgres` and skipped elsewhere."""

import importlib
import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.roles import roles_sync
from ticketing.models import User
from ticketing.services.accounts import session_login
from ticketing.sso import local_sso_token_mint

_ids = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    # Decided at collection time from the configured engine; no DB connection needed.
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _celery_eager():
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """`make_user` sets a password; PBKDF2 at full strength costs ~0.3 s a user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sale_context_fresh(settings):
    """Each add-to-cart reads the match afresh (the per-process cache has its own tests)."""
    settings.SALE_CONTEXT_SECONDS = 0


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def refusals_in_memory(settings):
    """The in-memory channel layer, for tests of refused connections: they never reach a
    group, and a refused consumer is stopped mid-receive (`connect_and_drop` in
    tests/ticketing/test_user_events_ws.py)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def email_templates(db):
    """The migration-seeded templates, restored for transactional tests (a flush removes them)."""
    from django.apps import apps

    for name in ("core.migrations.0005_email_templates",
                 "core.migrations.0007_after_sale_email_templates",
                 "core.migrations.0008_external_ticket_email",
                 "reports.migrations.0002_report_ready_email"):
        [seed] = importlib.import_module(name).Migration.operations
        seed.code(apps, None)


@pytest.fixture
def roles(db):
    roles_sync()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(email=None, *, roles=(), staff=None, password="pass-1234", **fields):
        from django.contrib.auth.models import Group

        n = next(_ids)
        email = email or f"user{n}@example.com"
        user = User.objects.create_user(email=email, password=password,
                                        is_staff=bool(roles) if staff is None else staff, **fields)
        if roles:
            roles_sync()
            user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return make


def sso_token(email: str, drupal_user_id: str | None = None, **kwargs) -> str:
    return local_sso_token_mint(email=email, drupal_user_id=drupal_user_id or email, **kwargs)


@pytest.fixture
def login(db):
    """login(user_or_email) -> APIClient authenticated with a fresh access token."""

    def do(user_or_email, device_id="test-device"):
        email = getattr(user_or_email, "email", user_or_email)
        drupal_id = getattr(user_or_email, "drupal_user_id", None) or email
        if isinstance(user_or_email, User) and not user_or_email.drupal_user_id:
            User.objects.filter(pk=user_or_email.pk).update(drupal_user_id=drupal_id)
        issued = session_login(drupal_token=sso_token(email, drupal_id), device_id=device_id)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.access_token}")
        client.user = issued.session.user
        client.tokens = issued
        return client

    return do


@pytest.fixture
def back_office():
    """back_office(user) -> APIClient signed in with a Django session, as staff sign in (their
    own password at /admin/login/; the webshop's SSO never opens a back-office account)."""

    def do(user):
        client = APIClient()
        client.force_login(user)
        client.user = user
        return client

    return do


@pytest.fixture
def fan(login):
    return login("fan@example.com")


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
