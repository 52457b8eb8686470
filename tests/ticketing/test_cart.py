"""POST /api/cart/add, GET and DELETE /api/cart (E4-F4) and the cart-expiry sweep."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from queueing import services as queue
from queueing.models import QueueConfig
from seating.models import (
    GeneralAdmissionHold,
    HoldStatus,
    MatchStatus,
    PhaseType,
    SalesPhase,
    SeatInventory,
    SeatStatus,
)
from seating.services.allocation import Hold, allocate
from tests.seating.factories import make_match, make_match_sector, make_price_category
from tests.seating.layouts import build_sector
from ticketing.models import Cart, CartStatus
from ticketing.tasks import carts_expire

pytestmark = pytest.mark.django_db


def on_sale_match(**fields):
    match = make_match(**{"status": MatchStatus.PUBLISHED, **fields})
    now = timezone.now()
    SalesPhase.objects.create(match=match, phase_type=PhaseType.GENERAL_PUBLIC, name="Public",
                              start_at=now - timedelta(days=1), end_at=now + timedelta(days=5))
    return match


def seated_zone(match, picture=("XXXXX", "XXXXX"), *, price="40.00", code="A1"):
    """A price category with one numbered sector drawn by `picture`."""
    category = make_price_category(match=match, name=f"Zone {code}", price=Decimal(price))
    sector = build_sector(list(picture), match=match, code=code)
    sector.price_category = category
    sector.save(update_fields=["price_category"])
    return category, sector


def add(client, match, zone, quantity=1):
    return client.post("/api/cart/add", {"match_id": match.id, "zone_id": zone.id,
                                         "quantity": quantity}, format="json")


def held_by(cart):
    return SeatInventory.objects.filter(hold_owner=f"cart:{cart.id}", status=SeatStatus.RESERVED)


# --- add --------------------------------------------------------------------------------------

def test_adding_holds_seats_for_the_cart_until_its_expiry(fan, match, zone):
    with time_machine.travel(timezone.now(), tick=False):
        response = add(fan, match, zone, 2)
        expected_expiry = timezone.now() + timedelta(minutes=settings.CART_HOLD_MINUTES)

    assert response.status_code == 201, response.content
    cart = Cart.objects.get(user=fan.user, match=match)
    assert cart.status == CartStatus.OPEN
    assert cart.expires_at == expected_expiry
    seats = list(held_by(cart))
    assert len(seats) == 2
    assert {s.hold_expires_at for s in seats} == {expected_expiry}
    assert {s.held_by_id for s in seats} == {fan.user.id}
    body = response.json()
    assert body["status"] == "OPEN"
    assert len(body["items"]) == 2
    assert body["together"] is True
    assert {(i["row"], i["seat"]) for i in body["items"]} == {
        (s.row_label, s.seat_number) for s in seats}


def test_items_keep_the_zone_price_with_the_presale_discount(fan, match, zone):
    match.presale_discount_percent = Decimal("10.00")
    match.save(update_fields=["presale_discount_percent"])

    body = add(fan, match, zone, 2).json()

    assert [i["price"] for i in body["items"]] == ["36.00", "36.00"]
    assert [i["full_price"] for i in body["items"]] == ["40.00", "40.00"]
    assert body["items"][0]["zone"] == {"id": zone.id, "name": zone.name}
    assert body["total"] == "72.00"


def test_a_second_add_goes_into_the_same_cart(fan, match, zone):
    add(fan, match, zone, 1)
    add(fan, match, zone, 2)

    cart = Cart.objects.get(user=fan.user, match=match)
    assert held_by(cart).count() == 3
    assert len(fan.get("/api/cart", {"match_id": match.id}).json()["items"]) == 3


def test_a_fan_cannot_hold_more_than_four_tickets_for_a_match(fan, match, zone):
    assert add(fan, match, zone, 2).status_code == 201
    assert add(fan, match, zone, 2).status_code == 201

    response = add(fan, match, zone, 1)

    assert response.status_code == 422
    assert response.json()["error"] == "ticket_limit_reached"
    assert "at most 4 tickets" in response.json()["detail"]
    assert SeatInventory.objects.filter(status=SeatStatus.RESERVED).count() == 4


def test_it_says_409_when_the_zone_has_too_few_seats_left(fan, match):
    zone, _ = seated_zone(match, ["XX"])

    response = add(fan, match, zone, 3)

    assert response.status_code == 409
    assert response.json()["error"] == "not_enough_seats"
    assert not Cart.objects.exists()  # the refused add leaves no empty cart behind


def test_it_says_404_for_a_match_that_is_not_published(fan):
    match = on_sale_match(status=MatchStatus.DRAFT)
    zone, _ = seated_zone(match)

    assert add(fan, match, zone).status_code == 404


def test_it_says_409_when_no_fan_sales_phase_is_running(fan):
    match = make_match(status=MatchStatus.PUBLISHED)
    zone, _ = seated_zone(match)

    response = add(fan, match, zone)

    assert response.status_code == 409
    assert response.json()["error"] == "not_on_sale"


def test_it_says_404_for_a_zone_of_another_match(fan, match):
    other_zone, _ = seated_zone(on_sale_match())

    response = add(fan, match, other_zone)

    assert response.status_code == 404
    assert response.json()["error"] == "zone_not_found"


def test_it_refuses_an_anonymous_fan(api, match, zone):
    assert add(api, match, zone).status_code == 401


# --- the waiting room -------------------------------------------------------------------------

def test_while_the_queue_runs_a_fan_without_a_window_gets_403(fan, match, zone):
    QueueConfig.objects.create(match=match, is_active=True,
                               opens_at=timezone.now() - timedelta(minutes=1))

    response = add(fan, match, zone)

    assert response.status_code == 403
    assert response.json()["error"] == "queue_wait"


def test_an_admitted_fan_holds_seats_until_the_window_ends(fan, match, zone):
    QueueConfig.objects.create(match=match, is_active=True, window_minutes=15,
                               opens_at=timezone.now() - timedelta(minutes=1))
    queue.queue_join(match_id=match.id, user=fan.user)
    [entry] = queue.queue_admit(match=match)

    response = add(fan, match, zone, 2)

    assert response.status_code == 201, response.content
    cart = Cart.objects.get(user=fan.user)
    assert cart.expires_at == entry.window_expires_at
    assert {s.hold_expires_at for s in held_by(cart)} == {entry.window_expires_at}


# --- show -------------------------------------------------------------------------------------

def test_the_cart_shows_the_seconds_left(fan, match, zone):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        add(fan, match, zone, 1)
        clock.shift(timedelta(minutes=5))

        body = fan.get("/api/cart", {"match_id": match.id}).json()

    assert body["remaining_seconds"] == (settings.CART_HOLD_MINUTES - 5) * 60
    assert body["status"] == "OPEN"
    assert body["total"] == "40.00"
    assert body["warnings"] == []
    assert body["items"][0]["sector"]["code"] == "A1"


def test_seats_that_are_not_together_carry_the_allocator_warning(fan, match):
    zone, _ = seated_zone(match, ["XSX", "SXS"])

    body = add(fan, match, zone, 2).json()

    assert body["together"] is False
    assert len(body["warnings"]) == 1


def test_without_a_cart_it_says_404(fan, match):
    response = fan.get("/api/cart", {"match_id": match.id})

    assert response.status_code == 404
    assert response.json()["error"] == "cart_not_found"


def test_match_id_is_required(fan, db):
    assert fan.get("/api/cart").status_code == 400


# --- release ----------------------------------------------------------------------------------

def test_deleting_the_cart_frees_its_seats(fan, match, zone):
    add(fan, match, zone, 3)
    cart = Cart.objects.get(user=fan.user)

    response = fan.delete(f"/api/cart?match_id={match.id}")

    assert response.status_code == 204
    cart.refresh_from_db()
    assert cart.status == CartStatus.RELEASED
    assert not SeatInventory.objects.exclude(status=SeatStatus.AVAILABLE).exists()
    assert fan.get("/api/cart", {"match_id": match.id}).status_code == 404
    assert fan.delete(f"/api/cart?match_id={match.id}").status_code == 404


def test_after_a_release_the_fan_can_fill_a_new_cart(fan, match, zone):
    add(fan, match, zone, 4)
    fan.delete(f"/api/cart?match_id={match.id}")

    assert add(fan, match, zone, 4).status_code == 201
    assert Cart.objects.filter(user=fan.user, status=CartStatus.OPEN).count() == 1


# --- expiry -----------------------------------------------------------------------------------

def test_an_expired_cart_is_shown_expired_and_its_seats_are_free_for_others(
        fan, login, match):
    zone, _ = seated_zone(match, ["XX"])
    other = login("other@example.com")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        add(fan, match, zone, 2)
        assert add(other, match, zone, 1).status_code == 409
        clock.shift(timedelta(minutes=settings.CART_HOLD_MINUTES, seconds=1))
        fan, other = login(fan.user), login(other.user)  # access tokens last 15 minutes

        body = fan.get("/api/cart", {"match_id": match.id}).json()
        assert (body["status"], body["remaining_seconds"]) == ("EXPIRED", 0)

        assert add(other, match, zone, 2).status_code == 201  # before any sweep
        assert carts_expire.delay().get() == 1
        assert fan.get("/api/cart", {"match_id": match.id}).json()["status"] == "EXPIRED"

    assert Cart.objects.get(user=fan.user).status == CartStatus.EXPIRED
    other_cart = Cart.objects.get(user=other.user)
    assert held_by(other_cart).count() == 2  # the sweep did not touch the new holder's seats


def test_the_sweep_frees_the_seats_and_leaves_live_carts_alone(fan, login, match, zone):
    other = login("other@example.com")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        add(fan, match, zone, 2)
        clock.shift(timedelta(minutes=10))
        add(other, match, zone, 1)
        clock.shift(timedelta(minutes=settings.CART_HOLD_MINUTES - 10))

        assert carts_expire.delay().get() == 1

    assert Cart.objects.get(user=fan.user).status == CartStatus.EXPIRED
    assert Cart.objects.get(user=other.user).status == CartStatus.OPEN
    assert SeatInventory.objects.filter(status=SeatStatus.RESERVED).count() == 1


def test_an_expired_cart_does_not_count_towards_the_limit(fan, login, match, zone):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        add(fan, match, zone, 4)
        clock.shift(timedelta(minutes=settings.CART_HOLD_MINUTES))
        fan = login(fan.user)

        response = add(fan, match, zone, 4)

    assert response.status_code == 201, response.content
    statuses = sorted(Cart.objects.filter(user=fan.user).values_list("status", flat=True))
    assert statuses == [CartStatus.EXPIRED, CartStatus.OPEN]


# --- standing ---------------------------------------------------------------------------------

def test_a_standing_zone_holds_places(fan, match):
    category = make_price_category(match=match, name="South stand", price=Decimal("15.00"))
    sector = make_match_sector(match=match, code="S", total=50, price_category=category)

    body = add(fan, match, category, 3).json()

    [item] = body["items"]
    assert (item["quantity"], item["row"], item["seat"]) == (3, None, None)
    assert body["total"] == "45.00"
    hold = GeneralAdmissionHold.objects.get(match_sector=sector)
    cart = Cart.objects.get(user=fan.user)
    assert (hold.owner, hold.quantity, hold.status) == (f"cart:{cart.id}", 3, HoldStatus.HELD)
    assert hold.expires_at == cart.expires_at

    fan.delete(f"/api/cart?match_id={match.id}")
    hold.refresh_from_db()
    assert hold.status == HoldStatus.RELEASED


def test_a_standing_zone_is_counted_against_the_limit(fan, match):
    category = make_price_category(match=match, name="South stand")
    make_match_sector(match=match, code="S", total=50, price_category=category)
    add(fan, match, category, 3)

    assert add(fan, match, category, 2).status_code == 422


def test_seats_held_by_someone_else_are_not_offered(fan, match):
    zone, sector = seated_zone(match, ["XX"])
    allocate(match=match, sectors=[sector], quantity=1,
             hold=Hold(owner="quota:1", until=timezone.now() + timedelta(minutes=5)))

    assert add(fan, match, zone, 2).status_code == 409
    assert add(fan, match, zone, 1).status_code == 201
