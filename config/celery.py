import os

from celery import Celery
from celery.signals import worker_process_init

from config.gc_tuning import gc_tune

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hns_ticketing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_gc(**kwargs):
    gc_tune()
