"""The live match dashboard (E14-F2) on a generated match: fans' shop orders (one ticket
refunded), a quota claim on account, a petrol-station sale, a cart still holding a seat, a
blocked seat and a standing sector with places sold and held. Then who may read it, how many
queries it takes, and the WebSocket that keeps the admin page live."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from config.asgi import application
from core.roles import Role
from payments.models import Refund, RefundStatus
from queueing.models import QueueConfig
from queueing.services import queue_admit, queue_join
from quotas.petrol.models import PetrolStation
from reports.services.dashboard import match_dashboard, match_kpis, sales_breakdown, waiting_room
from seating.models import ConfigStatus, MatchSector, PhaseType, SalesPhase, SeatStatus
from seating.services.inventory import seats_transition
from seating.services.seat_admin import seat_status_set
from tests.quotas.conftest import HOLDER_EMAIL, complete_profile, make_quota, numbered_match
from tests.quotas.petrol.conftest import holders, make_petrol_quota, make_staff
from tests.quotas.test_claims import claimed_to_holders
from tests.seating.factories import make_match_sector, make_price_category
from tests.ticketing.aftersale.test_after_sale_concurrency import bought
from tests.ticketing.test_checkout import buyer_profile, valid_oib
from tests.ticketing.test_user_events_ws import ORIGIN, WebsocketCommunicator, run
from ticketing.aftersale.services.refunds import order_refund
from ticketing.models import Order, OrderItem
from ticketing.services.cart import cart_add

URL = "/api/admin/dashboard/match/{}"
ALL = {"part": "all"}
PETROL = "/api/petrol-portal"


def on_sale(match):
    now = timezone.now()
    SalesPhase.objects.create(match=match, phase_type=PhaseType.GENERAL_PUBLIC, name="Public",
                              start_at=now - timedelta(days=1), end_at=now + timedelta(days=5))
    return match


def petrol_sale(match, login, make_user) -> Order:
    make_petrol_quota(match, quantity=4)
    staff = make_staff(make_user, PetrolStation.objects.create(code="ina-1", name="INA Zagreb"))
    fan = login("petrol.fan@example.com")
    complete_profile(fan.user, oib=valid_oib(500))
    pin = fan.post(f"/api/petrol-sales/{match.pk}/generate-pin", {"holders": holders(2)},
                   format="json").json()["pin"]
    reservation = staff.get(f"{PETROL}/pins/{pin}").json()["reservation_id"]
    staff.post(f"{PETROL}/reservations/{reservation}/verify-identity")
    sold = staff.post(f"{PETROL}/pins/{pin}/confirm",
                      {"payment_method": "CASH", "payment_reference": "R-1"}, format="json")
    assert sold.status_code == 201, sold.content
    return Order.objects.get(petrol_sale__reservation_id=reservation)


def quota_order(match, login, django_capture_on_commit_callbacks) -> Order:
    holder = login(HOLDER_EMAIL)
    quota = make_quota(match, quantity=2, deferred_payment=True)
    claimed_to_holders(holder, quota, 2)
    with django_capture_on_commit_callbacks(execute=True):
        paid = holder.post(f"/api/quota-portal/quotas/{quota.pk}/payment", {}, format="json")
    assert paid.status_code in (200, 201), paid.content
    return Order.objects.get(debt__isnull=False)


def sell(user, match, zone, quantity: int, capture) -> Order:
    """A fan's shop order, completed (the payment's outcome runs on commit)."""
    with capture(execute=True):
        order = bought(user, (match, zone), quantity)
    order.refresh_from_db()
    return order


@pytest.fixture
def sold_match(db, settings, make_user, login, supervisor, django_capture_on_commit_callbacks):
    """Sector A: 18 seats at 40.00 (6 for quotas), B: 8 at 25.00, S: 100 standing places at
    15.00. Sold: 3 + 2 in the shop (one ticket of the 3 refunded), 2 by quota claim, 2 at a
    petrol station, 4 standing; a fan's cart holds a seat in B and 3 standing places; a seat
    of B is blocked."""
    settings.PAYMENTS_PROVIDER = "local"
    match = on_sale(numbered_match(stadium_config_status=ConfigStatus.VALIDATED))
    standing = make_price_category(match=match, name="Standing", price=Decimal("15.00"))
    make_match_sector(match=match, code="S", total=100, price_category=standing,
                      display_order=9)
    east, west = (match.price_categories.get(name=name) for name in ("East", "West"))
    quota = quota_order(match, login, django_capture_on_commit_callbacks)
    petrol = petrol_sale(match, login, make_user)
    fans = [make_user(f"fan{n}@example.com") for n in range(4)]
    for n, fan in enumerate(fans):
        buyer_profile(fan, oib=valid_oib(900 + n))
    big, small, standing_order = (
        sell(fans[n], match, zone, quantity, django_capture_on_commit_callbacks)
        for n, (zone, quantity) in enumerate([(east, 3), (west, 2), (standing, 4)]))
    with django_capture_on_commit_callbacks(execute=True):
        refund = order_refund(order_id=big.pk, ticket_ids=[big.tickets.first().pk],
                              reason="one friend cannot come", actor=supervisor.user).refund
    cart_add(user=fans[3], match_id=match.pk, zone_id=west.pk, quantity=1)
    cart_add(user=fans[3], match_id=match.pk, zone_id=standing.pk, quantity=3)
    free_b = (MatchSector.objects.get(match=match, code="B").inventory
              .filter(status=SeatStatus.AVAILABLE).first())
    seats_transition(inventory_ids=[free_b.pk], to_status=SeatStatus.BLOCKED, reason="camera")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    match.orders_by_channel = {"SHOP": [big, small, standing_order], "QUOTA": [quota],
                               "PETROL": [petrol]}
    match.refund = refund
    return match


@pytest.fixture
def manager(make_user, back_office):
    return back_office(make_user("matches@hns.hr", roles=[Role.MATCH_MANAGER]))


def total(orders) -> Decimal:
    return sum((o.total_amount for o in orders), Decimal("0.00"))


# --- the numbers ------------------------------------------------------------------------------

def test_it_counts_sold_reserved_and_available_seats_and_places(manager, sold_match):
    body = manager.get(URL.format(sold_match.pk), ALL).json()

    sectors = {s["code"]: s for s in body["sectors"]}
    a, b, s = sectors["A"], sectors["B"], sectors["S"]
    # A: 2 quota + 2 petrol + 3 shop sold, one of those refunded (back on sale); the petrol
    # quota's other 2 seats still set aside.
    assert (a["sold"], a["reserved"], a["allocated"], a["available"], a["capacity"]) == (
        6, 0, 2, 10, 18)
    assert (b["sold"], b["reserved"], b["unavailable"], b["available"], b["capacity"]) == (
        2, 1, 1, 4, 8)
    assert b["status_counts"]["BLOCKED"] == 1
    assert (s["sold"], s["reserved"], s["available"], s["capacity"], s["is_numbered"]) == (
        4, 3, 93, 100, False)
    assert (body["sold"], body["reserved"], body["allocated"], body["unavailable"],
            body["available"], body["capacity"]) == (12, 4, 2, 1, 107, 126)


def test_revenue_is_what_completed_orders_took_less_what_was_refunded(manager, sold_match):
    body = manager.get(URL.format(sold_match.pk), ALL).json()

    orders = [o for group in sold_match.orders_by_channel.values() for o in group]
    gross = total(orders)
    refunded = sold_match.refund.amount
    assert refunded == Decimal("40.00")  # the ticket's price; the fee is kept
    assert body["revenue"] == {"orders": 5, "gross": str(gross), "refunds": str(refunded),
                               "net": str(gross - refunded), "currency": "EUR"}


def test_a_refund_not_yet_completed_is_not_taken_off(manager, sold_match):
    Refund.objects.filter(pk=sold_match.refund.pk).update(status=RefundStatus.PROCESSING)

    revenue = manager.get(URL.format(sold_match.pk), ALL).json()["revenue"]

    assert Decimal(revenue["refunds"]) == 0 and revenue["net"] == revenue["gross"]


def test_sales_by_channel_tell_petrol_from_quota_and_shop(manager, sold_match):
    channels = {row["channel"]: row for row in
                manager.get(URL.format(sold_match.pk), ALL).json()["sales"]["channels"]}

    for name, orders in sold_match.orders_by_channel.items():
        tickets = OrderItem.objects.filter(order__in=orders).count()
        assert channels[name] == {"channel": name, "orders": len(orders), "tickets": tickets,
                                  "revenue": str(total(orders))}, name
    assert [channels[name]["tickets"] for name in ("SHOP", "QUOTA", "PETROL")] == [9, 2, 2]


def test_sales_over_time_are_per_minute_during_an_on_sale(sold_match):
    sales = sales_breakdown(sold_match.pk)

    assert sales["bucket"] == "minute"
    assert sum(point["tickets"] for point in sales["timeline"]) == 13
    orders = [o for group in sold_match.orders_by_channel.values() for o in group]
    assert sum(Decimal(p["revenue"]) for p in sales["timeline"]) == total(orders)


@pytest.mark.parametrize(("days_back", "bucket", "points"), [
    pytest.param(2, "hour", 2 * 24 + 1, id="two days: per hour"),
    pytest.param(20, "day", 21, id="twenty days: per day"),
])
def test_a_long_sale_is_counted_per_hour_or_per_day(sold_match, days_back, bucket, points):
    first = sold_match.orders_by_channel["QUOTA"][0]
    earlier = timezone.now() - timedelta(days=days_back)
    Order.objects.filter(pk=first.pk).update(paid_at=None, ended_at=earlier)

    sales = sales_breakdown(sold_match.pk)

    assert sales["bucket"] == bucket
    assert len(sales["timeline"]) in (points, points + 1)  # the last bucket may have begun
    assert sales["timeline"][0]["tickets"] == 2
    assert sum(point["tickets"] for point in sales["timeline"]) == 13


def test_a_match_without_sales_shows_zeros(db):
    match = numbered_match()

    data = match_dashboard(match.pk)

    assert (data["sold"], data["reserved"], data["available"]) == (0, 0, 26)
    assert data["revenue"]["gross"] == "0.00" and data["sales"]["timeline"] == []
    assert data["waiting_room"]["active"] is False


def test_the_waiting_room_shows_who_waits_who_shops_and_how_fast_they_come_in(
        db, login, django_capture_on_commit_callbacks):
    match = on_sale(numbered_match())
    QueueConfig.objects.create(match=match, is_active=True, admission_rate_per_minute=2,
                               max_open_windows=10,
                               opens_at=timezone.now() - timedelta(minutes=1))
    for n in range(5):
        queue_join(match_id=match.pk, user=login(f"queuer{n}@example.com").user)
    with django_capture_on_commit_callbacks(execute=True):
        queue_admit(match=match)  # the rate lets 2 in this minute

    room = waiting_room(match.pk)

    assert room == {"active": True, "paused": False, "size": 3, "open_windows": 2,
                    "max_open_windows": 10, "admission_rate_per_minute": 0.4,
                    "configured_rate_per_minute": 2}


# --- who may read it --------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.MATCH_MANAGER, Role.FINANCE, Role.SUPER_ADMIN])
def test_match_managers_finance_and_super_admins_read_it(make_user, back_office, role, db):
    match = numbered_match()
    client = back_office(make_user(roles=[role]))
    assert client.get(URL.format(match.pk)).status_code == 200


def test_anyone_else_is_refused(make_user, back_office, fan, api, db):
    match = numbered_match()
    agent = back_office(make_user(roles=[Role.SUPPORT_AGENT]))
    assert api.get(URL.format(match.pk)).status_code == 401
    assert fan.get(URL.format(match.pk)).status_code == 403
    assert agent.get(URL.format(match.pk)).status_code == 403


def test_the_kpis_come_alone_unless_part_all_is_asked(manager, db):
    match = numbered_match()
    body = manager.get(URL.format(match.pk)).json()
    assert body["sold"] == 0 and "sales" not in body and "waiting_room" not in body
    full = manager.get(URL.format(match.pk), ALL).json()
    assert "sales" in full and "waiting_room" in full
    assert manager.get(URL.format(match.pk), {"part": "everything"}).status_code == 400


def test_an_unknown_match_is_404(manager):
    response = manager.get(URL.format(987654))
    assert response.status_code == 404 and response.json()["error"] == "match_not_found"


# --- cost -------------------------------------------------------------------------------------

def test_the_kpis_take_a_fixed_handful_of_queries(manager, sold_match,
                                                  django_assert_max_num_queries):
    # Session, user and role (3), then the match, the sector aggregate, the standing places'
    # aggregate and the money (2): however many seats and orders the match has.
    with django_assert_max_num_queries(8):
        assert manager.get(URL.format(sold_match.pk)).status_code == 200
    with django_assert_max_num_queries(5):
        match_kpis(sold_match.pk)


def test_the_whole_dashboard_stays_bounded_too(sold_match, django_assert_max_num_queries):
    # The KPIs (5), the sales' span, orders and items (3), the queue's config (1).
    with django_assert_max_num_queries(9):
        match_dashboard(sold_match.pk)


# --- the admin page ---------------------------------------------------------------------------

def test_the_admin_page_embeds_the_dashboard_and_its_socket(manager, sold_match, client):
    client.force_login(manager.user)

    page = client.get(f"/admin/reports/dashboard/{sold_match.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dashboard-config"' in html and "reports/vendor/chart.umd.min.js" in html
    assert f"/ws/admin/dashboard/{sold_match.pk}/" in html
    picker = client.get("/admin/reports/dashboard/")
    assert f"/admin/reports/dashboard/{sold_match.pk}/" in picker.content.decode()


def test_the_admin_page_is_refused_without_the_role(make_user, client, db):
    match = numbered_match()
    client.force_login(make_user(roles=[Role.SUPPORT_AGENT]))
    assert client.get(f"/admin/reports/dashboard/{match.pk}/").status_code == 403
    assert client.get("/admin/reports/dashboard/").status_code == 403


def test_the_admin_page_of_an_unknown_match_is_404(manager, client):
    client.force_login(manager.user)
    assert client.get("/admin/reports/dashboard/987654/").status_code == 404


# --- live over the WebSocket ------------------------------------------------------------------

def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(match_id: int, cookie=None) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/admin/dashboard/{match_id}/",
                                 headers=[h for h in (ORIGIN, cookie) if h])


async def messages_until_quiet(ws, quiet: float) -> list[dict]:
    """Every dashboard the socket sends until none came for `quiet` seconds. (A receive that
    times out would stop the consumer.)"""
    received = []
    while not await ws.receive_nothing(timeout=quiet):
        received.append(await ws.receive_json_from())
    return received


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("who", "code"), [
    pytest.param(None, 4401, id="signed out"),
    pytest.param("fan", 4403, id="no dashboard role"),
    pytest.param("agent", 4403, id="another back-office role"),
])
def test_the_socket_refuses_anyone_without_the_role(make_user, who, code, refusals_in_memory):
    match = numbered_match()
    users = {"fan": lambda: make_user("fan@example.com"),
             "agent": lambda: make_user(roles=[Role.SUPPORT_AGENT])}
    cookie = session_cookie(users[who]()) if who else None

    async def scenario():
        return await socket(match.pk, cookie).connect_and_drop()

    assert run(scenario) == (False, code)


@pytest.mark.django_db(transaction=True)
def test_the_socket_refuses_an_unknown_match(make_user, refusals_in_memory):
    cookie = session_cookie(make_user(roles=[Role.MATCH_MANAGER]))

    async def scenario():
        return await socket(987654, cookie).connect_and_drop()

    assert run(scenario) == (False, 4404)


@pytest.fixture
def live_shop(settings, email_templates):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    match = on_sale(numbered_match())
    return match, match.price_categories.get(name="East")


@pytest.mark.django_db(transaction=True)
def test_a_sale_reaches_an_open_dashboard_within_two_seconds(make_user, live_shop):
    match, _ = live_shop
    cookie = session_cookie(make_user(roles=[Role.FINANCE]))
    fan = make_user("fan@example.com")
    buyer_profile(fan)

    async def scenario():
        ws = socket(match.pk, cookie)
        connected, _ = await ws.connect()
        first = await ws.receive_json_from()
        await messages_until_quiet(ws, quiet=1.5)  # the second look after connecting
        started = time.monotonic()
        await database_sync_to_async(bought)(fan, live_shop, 2)
        while True:
            message = await ws.receive_json_from(timeout=2)
            if message["data"]["sold"] == 2:
                break
        arrived = time.monotonic() - started
        last = ([message] + await messages_until_quiet(ws, quiet=1.5))[-1]
        await ws.disconnect()
        return connected, first, message, arrived, last

    connected, first, message, arrived, last = run(scenario)

    assert connected and first["type"] == "dashboard" and first["data"]["sold"] == 0
    assert message["data"]["match"]["id"] == match.pk
    assert arrived < 2.0
    gross = last["data"]["revenue"]["gross"]
    assert last["data"]["sales"]["channels"][0] == {
        "channel": "SHOP", "orders": 1, "tickets": 2, "revenue": gross}


@pytest.mark.django_db(transaction=True)
def test_a_rush_of_changes_is_pushed_a_few_times_and_the_last_one_shows(make_user, live_shop):
    match, _ = live_shop
    manager = make_user(roles=[Role.MATCH_MANAGER])
    cookie = session_cookie(manager)
    seats = list(MatchSector.objects.get(match=match, code="A").inventory
                 .order_by("pk").values_list("pk", flat=True))

    def rush():
        """18 seat changes in the admin, one by one, each announced."""
        for seat in seats:
            seat_status_set(inventory_id=seat, to_status=SeatStatus.BLOCKED, reason="rush",
                            actor=manager)

    async def scenario():
        ws = socket(match.pk, cookie)
        await ws.connect()
        await ws.receive_json_from()
        await messages_until_quiet(ws, quiet=1.5)
        started = time.monotonic()
        await database_sync_to_async(rush)()
        took = time.monotonic() - started
        pushed = await messages_until_quiet(ws, quiet=2.5)
        await ws.disconnect()
        return took, pushed

    took, pushed = run(scenario)

    assert took < 1.0, "the rush was too slow to show coalescing"
    assert 1 <= len(pushed) <= 3, [m["data"]["computed_at"] for m in pushed]
    assert pushed[-1]["data"]["sectors"][0]["status_counts"]["BLOCKED"] == len(seats)


def test_the_match_admin_page_links_to_its_dashboard(manager, db):
    match = numbered_match()
    page = manager.get(f"/admin/seating/match/{match.pk}/change/").content.decode()
    assert f'href="/admin/reports/dashboard/{match.pk}/"' in page
