"""Each step that needs Redis while Redis is down (nothing listens where the cache, channel
layer and broker point): before anything is written it answers 503 in the one error shape;
after a commit it is skipped, and the request answers what it did. The whole traffic with a
Redis killed midway is tests/test_redis_outage.py."""

import pytest
from django.db import transaction

from core.transactions import broadcast_on_commit
from queueing.models import QueueEntry, QueueStatus
from seating.models import SeatInventory, SeatStatus
from tests.conftest import sso_token
from tests.queueing.factories import make_queue
from tests.redis_server import RedisServer, use_redis
from tests.ticketing import test_checkout
from tests.ticketing.test_cart import add, on_sale_match, seated_zone
from tests.ticketing.test_checkout import cart_of, checkout
from ticketing.models import Order, OrderStatus, User

pytestmark = pytest.mark.django_db

buyer = test_checkout.buyer  # a fan with a complete profile


@pytest.fixture
def redis_down(settings, monkeypatch):
    use_redis(RedisServer().url, settings, monkeypatch)  # a free port: connection refused


@pytest.fixture
def queue(fan):
    """A running queue the fan joined while Redis was up."""
    queue = make_queue()
    assert fan.post(f"/api/queue/{queue.match_id}/join").status_code == 200
    return queue


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response.json() == {
        "error": "service_unavailable", "fields": {},
        "detail": "Part of our service is unavailable right now; please try again in a moment."}


def test_zones_answer_503_when_their_shared_cache_is_down(api, settings, redis_down):
    settings.ZONES_CACHE_SECONDS = 2
    match = on_sale_match()

    assert_unavailable(api.get(f"/api/matches/{match.id}/zones"))


def test_a_login_answers_503_and_creates_no_account(api, redis_down):
    response = api.post("/api/auth/login", {"drupal_token": sso_token("new@example.com"),
                                            "device_id": "phone"}, format="json")

    assert_unavailable(response)
    assert not User.objects.filter(email="new@example.com").exists()


def test_joining_a_queue_answers_503_and_takes_no_place(fan, redis_down):
    queue = make_queue()

    assert_unavailable(fan.post(f"/api/queue/{queue.match_id}/join"))
    assert not QueueEntry.objects.exists()


def test_a_heartbeat_answers_503_without_recording_it(fan, queue, redis_down):
    before = QueueEntry.objects.get().last_heartbeat_at

    assert_unavailable(fan.post(f"/api/queue/{queue.match_id}/heartbeat"))
    assert QueueEntry.objects.get().last_heartbeat_at == before


def test_leaving_a_queue_still_leaves_and_counts_the_queue_in_the_database(
        fan, queue, redis_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = fan.post(f"/api/queue/{queue.match_id}/leave")

    assert response.status_code == 200, response.content
    assert response.json()["total_queue_size"] == 0
    assert QueueEntry.objects.get().status == QueueStatus.LEFT


def test_a_cart_add_needs_no_redis_and_keeps_its_seat(
        fan, redis_down, django_capture_on_commit_callbacks):
    match = on_sale_match()
    zone = seated_zone(match)[0]

    # On commit the seat map's cached summary cannot be cleared: skipped, the add stands.
    with django_capture_on_commit_callbacks(execute=True):
        response = add(fan, match, zone, 2)

    assert response.status_code == 201, response.content
    assert SeatInventory.objects.filter(held_by=fan.user, status=SeatStatus.RESERVED).count() == 2


def test_checkout_and_emptying_a_cart_need_no_redis(
        buyer, settings, redis_down, django_capture_on_commit_callbacks):
    settings.PAYMENTS_PROVIDER = "local"
    match = on_sale_match()
    zone = seated_zone(match)[0]
    with django_capture_on_commit_callbacks(execute=True):
        cart = cart_of(buyer, match, zone, 1)
        assert checkout(buyer, cart, [{}]).status_code == 201
        other = on_sale_match()
        cart_of(buyer, other, seated_zone(other, code="B1")[0], 1)
        response = buyer.delete(f"/api/cart?match_id={other.id}")

    assert response.status_code == 204, response.content
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_a_websocket_message_the_channel_layer_cannot_take_is_dropped_after_the_commit(
        redis_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        broadcast_on_commit("quota.1", {"type": "quota.changed"})

    assert len(callbacks) == 1  # it ran, and raised nothing
