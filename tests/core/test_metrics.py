"""GET /metrics (issue 15, Observability): only with the token or from an allowed address
(404 otherwise); requests, completed orders, the waiting room, held seats and webhook lag show
in it; Redis down leaves the queue gauge out and the scrape still answers; several processes'
values add up."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from payments.services import payment_start
from queueing.models import QueueConfig
from seating.models import MatchStatus
from tests.payments.conftest import intent_event, sign, stripe_server  # noqa: F401 (fixture)
from tests.queueing.factories import make_queue
from tests.redis_server import RedisServer, use_redis
from tests.test_settings_refusal import start
from tests.ticketing import test_checkout as base
from tests.ticketing.test_cart import add
from tests.ticketing.test_order_payment import ordered, pay

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789abcdefghij"
local_payments, buyer, match, zone = base.local_payments, base.buyer, base.match, base.zone


@pytest.fixture(autouse=True)
def metrics_settings(settings):
    """The token set, no address allowed (the DEBUG default allows loopback), one process."""
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_MULTIPROC_DIRS = []


def get(**headers):
    return Client().get("/metrics", **headers)


def scrape() -> dict:
    response = get(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def assert_hidden(response):
    unknown = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response.content == unknown.content


# --- who may read -----------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}",
                                           f"Bearer {TOKEN}x"])
def test_it_is_a_404_without_the_token(authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    assert_hidden(get(**headers))


def test_it_answers_the_token():
    response = get(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")


def test_it_answers_an_allowed_address_behind_a_trusted_proxy(settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    settings.TRUSTED_PROXIES = ["192.0.2.1/32"]

    response = get(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.20.3.4")

    assert response.status_code == 200


def test_a_foreign_address_is_a_404_whatever_it_forwards(settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]

    assert_hidden(get(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.20.3.4"))


def test_with_neither_token_nor_addresses_nobody_reads_it(settings):
    settings.METRICS_TOKEN = ""

    assert_hidden(get(REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer "))


def test_production_refuses_a_weak_token():
    result = start(METRICS_TOKEN="short")

    assert result.returncode != 0
    assert "METRICS_TOKEN is shorter than 32 characters" in result.stderr


# --- what it shows ----------------------------------------------------------------------------

def test_a_request_shows_in_the_request_counter_and_latency_histogram():
    view = resolve("/api/matches").view_name
    labels = {"view": view, "method": "GET", "status": "200"}
    before = scrape()

    assert Client().get("/api/matches").status_code == 200

    after = scrape()
    counted = value(after, "hns_http_requests_total", **labels)
    assert counted == (value(before, "hns_http_requests_total", **labels) or 0) + 1
    timed = value(after, "hns_http_request_duration_seconds_count", **labels)
    assert timed == (value(before, "hns_http_request_duration_seconds_count", **labels) or 0) + 1
    assert value(after, "hns_http_request_duration_seconds_sum", **labels) > (
        value(before, "hns_http_request_duration_seconds_sum", **labels) or 0)


def test_a_completed_order_counts_once_and_its_webhook_shows_its_lag(
        buyer, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 2)
    before = scrape()

    assert pay(buyer, order, django_capture_on_commit_callbacks).status_code == 200

    after = scrape()
    assert value(after, "hns_orders_completed_total", source="SHOP") == (
        value(before, "hns_orders_completed_total", source="SHOP") or 0) + 1
    lag = "hns_webhook_lag_seconds_count"
    assert value(after, lag, provider="local") == (value(before, lag, provider="local") or 0) + 1


def test_a_queue_join_changes_the_queue_size(fan):
    queue = make_queue()
    queue.match.status = MatchStatus.PUBLISHED
    queue.match.save(update_fields=["status"])
    match_id = str(queue.match_id)
    assert value(scrape(), "hns_queue_waiting", match_id=match_id) == 0

    assert fan.post(f"/api/queue/{queue.match_id}/join").status_code == 200

    samples = scrape()
    assert value(samples, "hns_queue_waiting", match_id=match_id) == 1
    assert value(samples, "hns_queue_admissions_per_minute", match_id=match_id) == 0


def test_a_cart_hold_changes_the_seats_held_until_it_expires(fan, match, zone):
    assert value(scrape(), "hns_seats_held", match_id=str(match.id)) == 0

    assert add(fan, match, zone, 2).status_code == 201

    assert value(scrape(), "hns_seats_held", match_id=str(match.id)) == 2
    with time_machine.travel(timezone.now() + timedelta(
            minutes=django_settings.CART_HOLD_MINUTES, seconds=1)):
        assert value(scrape(), "hns_seats_held", match_id=str(match.id)) == 0


def test_a_match_off_sale_has_no_gauges(match):
    match.status = MatchStatus.CLOSED
    match.save(update_fields=["status"])

    assert value(scrape(), "hns_seats_held", match_id=str(match.id)) is None


def test_a_processed_stripe_webhook_observes_its_lag(api, stripe_server):  # noqa: F811
    payment = payment_start(reference="order:7", amount=Decimal("30.00"), idempotency_key="k-7")
    event = json.loads(intent_event("payment_intent.succeeded", payment))
    event["created"] = int(time.time()) - 90  # Stripe created it 90 s ago
    body = json.dumps(event).encode()
    before = scrape()

    response = api.post("/api/webhooks/stripe", data=body, content_type="application/json",
                        HTTP_STRIPE_SIGNATURE=sign(body))
    assert response.status_code == 200
    api.post("/api/webhooks/stripe", data=body, content_type="application/json",
             HTTP_STRIPE_SIGNATURE=sign(body))  # a redelivery: nothing processed, no lag

    after = scrape()
    def gained(name, **labels):
        return value(after, name, provider="stripe", **labels) - (
            value(before, name, provider="stripe", **labels) or 0)

    assert {le: gained("hns_webhook_lag_seconds_bucket", le=le)
            for le in ("60.0", "120.0", "+Inf")} == {"60.0": 0, "120.0": 1, "+Inf": 1}
    assert 90 <= gained("hns_webhook_lag_seconds_sum") < 100


def test_redis_down_leaves_the_queue_gauge_out_and_the_scrape_answers(
        settings, monkeypatch, match, caplog):
    QueueConfig.objects.create(match=match, is_active=True, opens_at=timezone.now())
    use_redis(RedisServer().url, settings, monkeypatch)  # a free port: connection refused

    samples = scrape()

    assert value(samples, "hns_queue_waiting", match_id=str(match.id)) is None
    assert value(samples, "hns_sale_gauge_up", gauge="queue_waiting") == 0
    assert value(samples, "hns_sale_gauge_up", gauge="seats_held") == 1
    assert value(samples, "hns_seats_held", match_id=str(match.id)) == 0
    assert "gauge queue_waiting left out" in caplog.text


# --- several processes ------------------------------------------------------------------------

def count_an_order_in(directory) -> subprocess.Popen:
    """A process like a web or Celery worker with PROMETHEUS_MULTIPROC_DIR set: it completes
    (counts) one order and exits."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory),
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "from core.metrics import order_completed_count; order_completed_count('SHOP')"
    return subprocess.Popen([sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env)


def test_every_process_directory_adds_up(settings, tmp_path):
    web, worker = tmp_path / "web", tmp_path / "worker"
    web.mkdir(), worker.mkdir()
    processes = [count_an_order_in(web), count_an_order_in(worker)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0]
    settings.METRICS_MULTIPROC_DIRS = [str(web), str(worker)]

    samples = scrape()

    assert value(samples, "hns_orders_completed_total", source="SHOP") == 2
    assert value(samples, "hns_sale_gauge_up", gauge="seats_held") == 1  # gauges read here
