"""Redis dies in the middle of traffic (issue 19): the cache, the channel layer and Celery's
broker all point at a redis-server this test owns, fans add to carts, read zones, log in, join
a queue and pay while it is SIGKILLed. Every answer is 2xx or 503, never 500; nothing that
answered 503 was written; nothing that answered 2xx is lost; and once Redis is back (empty, as
an unpersisted Redis restarts) the sweeps complete the paid orders and send the confirmation
emails whose tasks the outage swallowed."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.models import EmailLog, EmailStatus
from core.tasks import notifications_resend
from payments.models import Payment, PaymentStatus
from payments.outcomes import payments_undelivered_sweep
from queueing.models import QueueEntry
from seating.models import SeatInventory, SeatStatus
from tests.conftest import sso_token
from tests.queueing.factories import make_queue
from tests.redis_server import RedisServer, use_redis
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import buyer_profile, cart_of, checkout, valid_oib
from ticketing.models import ApiSession, Cart, CartItem, Order, OrderStatus, User

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 6  # each round sends one request of every kind; Redis dies during the third
KINDS = ("cart", "zones", "login", "join", "pay")


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def on_test_redis(redis_server, settings, monkeypatch):
    use_redis(redis_server.url, settings, monkeypatch)
    return redis_server


@pytest.fixture
def shop(settings, login, email_templates):
    """A match on sale (no queue) with 100 seats, a match with a running queue, fans for each
    kind of request, and one unpaid order per pay-local request."""
    settings.PAYMENTS_PROVIDER = "local"
    settings.ZONES_CACHE_SECONDS = 2
    match = on_sale_match()
    zone = seated_zone(match, picture=["X" * 10] * 10)[0]
    queue = make_queue()
    orders = []
    for n in range(ROUNDS):
        buyer = login(f"buyer{n}@example.com")
        buyer_profile(buyer.user, oib=valid_oib(n + 1))
        response = checkout(buyer, cart_of(buyer, match, zone, 1), [{}])
        assert response.status_code == 201, response.content
        orders.append((buyer, Order.objects.get(pk=response.json()["order"]["id"])))
    return {"match": match, "zone": zone, "queue": queue, "orders": orders,
            "adders": [login(f"adder{n}@example.com") for n in range(ROUNDS)],
            "joiners": [login(f"joiner{n}@example.com") for n in range(ROUNDS)]}


def request(kind: str, n: int, shop: dict):
    match, zone = shop["match"], shop["zone"]
    if kind == "cart":
        return shop["adders"][n].post("/api/cart/add", {
            "match_id": match.id, "zone_id": zone.id, "quantity": 1}, format="json")
    if kind == "zones":
        return APIClient().get(f"/api/matches/{match.id}/zones")
    if kind == "login":
        return APIClient().post("/api/auth/login", {
            "drupal_token": sso_token(f"newcomer{n}@example.com"),
            "device_id": f"outage-{n}"}, format="json")
    if kind == "join":
        return shop["joiners"][n].post(f"/api/queue/{shop['queue'].match_id}/join")
    buyer, order = shop["orders"][n]
    return buyer.post(f"/api/orders/{order.id}/pay-local")


def written(kind: str, n: int, shop: dict) -> bool:
    """Whether request `n` of `kind` left anything in the database."""
    if kind == "cart":
        user = shop["adders"][n].user
        return (Cart.objects.filter(user=user, match=shop["match"]).exists()
                or CartItem.objects.filter(cart__user=user).exists()
                or SeatInventory.objects.filter(held_by=user).exists())
    if kind == "zones":
        return False
    if kind == "login":
        return (ApiSession.objects.filter(device_id=f"outage-{n}").exists()
                or User.objects.filter(email=f"newcomer{n}@example.com").exists())
    if kind == "join":
        return QueueEntry.objects.filter(user=shop["joiners"][n].user).exists()
    _, order = shop["orders"][n]
    order.refresh_from_db()
    return order.status != OrderStatus.PENDING_PAYMENT or Payment.objects.filter(
        reference=f"order:{order.pk}").exclude(status=PaymentStatus.PENDING).exists()


def kept(kind: str, n: int, shop: dict) -> bool:
    """Whether what request `n` of `kind` answered 2xx for is in the database."""
    if kind == "cart":
        user = shop["adders"][n].user
        return (SeatInventory.objects.filter(held_by=user, status=SeatStatus.RESERVED).count()
                == CartItem.objects.filter(cart__user=user).count() == 1)
    if kind == "zones":
        return True
    if kind == "login":
        return ApiSession.objects.filter(device_id=f"outage-{n}").exists()
    if kind == "join":
        return QueueEntry.objects.filter(user=shop["joiners"][n].user).exists()
    _, order = shop["orders"][n]
    order.refresh_from_db()
    return order.status == OrderStatus.COMPLETED


def test_a_redis_outage_mid_traffic_answers_503_or_succeeds_and_loses_nothing(
        on_test_redis, shop, mailoutbox, settings, monkeypatch):
    answers = []
    for n in range(ROUNDS):
        if n == 2:  # dies somewhere inside this round, whichever request that is
            threading.Timer(0.02, on_test_redis.kill).start()
        for kind in KINDS:
            answers.append((kind, n, request(kind, n, shop).status_code))

    assert {status for *_, status in answers} <= {200, 201, 503}, answers
    assert all(status < 300 for kind, n, status in answers if n < 2), answers
    assert [kind for kind, n, status in answers if status == 503], "the outage went unnoticed"
    for kind, n, status in answers:
        if status == 503:
            assert not written(kind, n, shop), (kind, n)

    # A worker still running delivers the payments meanwhile: the orders complete, and their
    # confirmation emails are logged but no task can be queued for them.
    settings.PAYMENT_DELIVERY_GRACE_SECONDS = 0
    payments_undelivered_sweep()
    confirmations = EmailLog.objects.filter(template_key="order_confirmation")
    assert set(confirmations.values_list("status", flat=True)) == {EmailStatus.QUEUED}

    on_test_redis.start()  # back, and empty, as an unpersisted Redis restarts
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # a worker runs them now
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_RESEND_GRACE_SECONDS + 1)
    with time_machine.travel(later):
        assert notifications_resend()["emails"] > 0
        assert notifications_resend() == {"emails": 0, "pushes": 0}  # sent once only

    for kind, n, status in answers:
        if status < 300:
            assert kept(kind, n, shop), (kind, n)
    paid = [shop["orders"][n][1] for kind, n, status in answers if kind == "pay" and status < 300]
    assert sorted(confirmations.values_list("recipient_email", flat=True)) == sorted(
        order.buyer.email for order in paid)
    assert set(confirmations.values_list("status", flat=True)) == {EmailStatus.SENT}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(order.buyer.email for order in paid)
