"""The serving processes raise the collector's generation-0 threshold (config/gc_tuning.py)."""

import gc
import importlib

import pytest

from config.gc_tuning import GEN0_THRESHOLD


@pytest.fixture
def default_threshold():
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    yield
    gc.set_threshold(*before)


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_the_web_entry_points_tune_the_collector(default_threshold, module):
    importlib.reload(importlib.import_module(module))

    assert gc.get_threshold()[0] == GEN0_THRESHOLD


def test_celery_worker_processes_tune_it_as_they_start(default_threshold):
    from celery.signals import worker_process_init

    worker_process_init.send(sender=None)

    assert gc.get_threshold()[0] == GEN0_THRESHOLD
