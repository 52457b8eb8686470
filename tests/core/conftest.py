"""Fixtures for the notification and audit tests. Not autouse: modules opt in."""

import pytest

from config.celery import app as celery_app


@pytest.fixture
def eager_retries(monkeypatch):
    """The shared conftest makes eager tasks propagate exceptions, and then an eager
    `self.retry()` escapes as celery.exceptions.Retry instead of re-running the task inline.
    Without propagation (the settings' own eager default) Celery runs every retry at once,
    ignoring the backoff countdown."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
