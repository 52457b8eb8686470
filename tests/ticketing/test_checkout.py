"""POST /api/checkout (E4-F5, E4-F6, E4-F7): holders, the blacklist check, the order and its
amounts, and the payment it starts. The helpers here are shared by test_order_payment.py and
test_tickets.py."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from stdnum.iso7064 import mod_11_10

from accessctl.models import BlacklistSource, BlacklistViolation
from accessctl.services.entries import blacklist_entry_create
from payments.models import Payment, PaymentStatus
from payments.pricing import line_amounts, order_amounts
from tests.assertions import assert_error
from tests.ticketing import conftest
from tests.ticketing.test_cart import add
from ticketing.models import Cart, HolderSource, Order, OrderStatus, Profile, SavedProfile
from ticketing.services.profiles import profile_create, saved_profile_create

pytestmark = pytest.mark.django_db

BUYER_OIB = "69435151530"


def valid_oib(n: int) -> str:
    base = f"{n:010d}"
    return base + mod_11_10.calc_check_digit(base)


def adult(**fields) -> dict:
    return {"first_name": "Ivan", "last_name": "Kovač", "date_of_birth": "1990-05-17",
            "nationality": "HR", "oib": valid_oib(1234)} | fields


def buyer_profile(user, **fields) -> Profile:
    data = {"first_name": "Ana", "last_name": "Horvat", "date_of_birth": date(1985, 1, 9),
            "nationality": "HR", "oib": BUYER_OIB, "phone": "+385911234567",
            "address": "Ilica 1", "city": "Zagreb", "postal_code": "10000"} | fields
    return profile_create(user=user, data=data)


def cart_of(client, match, zone, quantity=1) -> Cart:
    response = add(client, match, zone, quantity)
    assert response.status_code == 201, response.content
    return Cart.objects.get(pk=response.json()["id"])


def checkout(client, cart, holders):
    return client.post("/api/checkout", {"cart_id": cart.id, "holders": holders},
                       format="json")


@pytest.fixture(autouse=True)
def local_payments(settings):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


# conftest.py's, named here too for the modules that take this one's fixtures as base.match and
# base.zone (tests/payments/test_success_delivery.py among them).
match, zone = conftest.match, conftest.zone


@pytest.fixture
def buyer(fan):
    buyer_profile(fan.user)
    return fan


# --- the happy path ---------------------------------------------------------------------------

def test_checkout_creates_a_pending_order_and_starts_its_payment(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)

    response = checkout(buyer, cart, [{}, adult()])

    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get()
    assert body["order"]["id"] == order.id
    assert body["order"]["status"] == OrderStatus.PENDING_PAYMENT
    assert order.number == f"HNS-{order.created_at:%Y}-{order.id:06d}"
    assert body["order"]["number"] == order.number
    payment = Payment.objects.get()
    assert (payment.reference, payment.idempotency_key) == (f"order:{order.id}",
                                                            f"order:{order.id}:1")
    assert payment.amount == order.total_amount
    assert payment.status == PaymentStatus.PENDING
    assert body["payment"] == {"provider": "local", "client_secret": payment.client_secret}
    assert payment.client_secret


def test_the_amounts_are_the_pricing_modules(buyer, match, zone):
    match.fee_percent = Decimal("7.50")
    match.presale_discount_percent = Decimal("10.00")
    match.save(update_fields=["fee_percent", "presale_discount_percent"])
    cart = cart_of(buyer, match, zone, 3)

    checkout(buyer, cart, [{}, adult(), adult(oib=valid_oib(77))])

    order = Order.objects.get()
    expected = order_amounts(
        lines=[line_amounts(unit_price=Decimal("40.00"), quantity=1,
                            discount_percent=Decimal("10.00"))] * 3,
        match_type=match.match_type, fee_percent=Decimal("7.50"))
    assert (order.ticket_amount, order.ticket_vat_amount, order.fee_amount,
            order.fee_vat_amount, order.total_amount, order.fee_percent, order.currency) == (
        expected.ticket_amount, expected.ticket_vat_amount, expected.fee_amount,
        expected.fee_vat_amount, expected.total_amount, Decimal("7.50"), "EUR")
    assert [i.unit_price for i in order.items.all()] == [Decimal("36.00")] * 3


# --- holders ----------------------------------------------------------------------------------

def test_the_first_holder_is_the_buyers_default_profile(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 1)

    assert checkout(buyer, cart, [{}]).status_code == 201

    [item] = Order.objects.get().items.all()
    assert (item.full_name, item.oib, item.holder_source) == (
        "Ana Horvat", BUYER_OIB, HolderSource.DEFAULT_PROFILE)
    assert item.is_minor is False


def test_repeating_the_buyers_own_details_for_the_first_holder_is_fine(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 1)

    response = checkout(buyer, cart, [{"first_name": "Ana", "oib": BUYER_OIB}])

    assert response.status_code == 201, response.content


def test_the_first_holder_cannot_be_changed(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)

    assert_error(checkout(buyer, cart, [adult(), adult()]), 422, "first_holder_locked")
    assert not Order.objects.exists()


def test_a_buyer_without_a_profile_cannot_check_out(fan, match, zone):
    cart = cart_of(fan, match, zone, 1)

    assert_error(checkout(fan, cart, [{}]), 422, "profile_incomplete")


def test_an_incomplete_profile_is_a_422(fan, match, zone):
    buyer_profile(fan.user, address="", city="")
    cart = cart_of(fan, match, zone, 1)

    assert_error(checkout(fan, cart, [{}]), 422, "profile_incomplete")


def test_a_saved_profile_can_hold_a_ticket(buyer, match, zone):
    friend = saved_profile_create(user=buyer.user, data=adult(first_name="Marko"))
    cart = cart_of(buyer, match, zone, 2)

    assert checkout(buyer, cart, [{}, {"saved_profile_id": friend.id}]).status_code == 201

    item = Order.objects.get().items.all()[1]
    assert (item.first_name, item.holder_source, item.saved_profile) == (
        "Marko", HolderSource.SAVED_PROFILE, friend)
    assert item.oib == friend.oib


def test_another_fans_saved_profile_is_refused(buyer, login, match, zone):
    other = login("other@example.com")
    theirs = SavedProfile.objects.create(user=other.user, first_name="X", last_name="Y",
                                         date_of_birth=date(1990, 1, 1), nationality="DE",
                                         passport_number="C01X00T47")
    cart = cart_of(buyer, match, zone, 2)

    assert_error(checkout(buyer, cart, [{}, {"saved_profile_id": theirs.id}]), 422,
                 "saved_profile_not_found")


def test_a_manual_holder_with_a_bad_oib_is_a_422(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)

    body = assert_error(checkout(buyer, cart, [{}, adult(oib="12345678901")]), 422,
                        "oib_invalid")
    assert "holders[1].oib" in body["fields"]
    assert not Order.objects.exists()


def test_a_foreign_manual_holder_needs_a_passport(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)

    assert_error(checkout(buyer, cart, [{}, adult(nationality="DE", oib="")]), 422,
                 "passport_required")
    response = checkout(buyer, cart, [{}, adult(nationality="DE", oib="",
                                                passport_number="C01X00T47")])
    assert response.status_code == 201, response.content


def test_a_manual_holder_needs_a_name_and_birth_date(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)

    assert_error(checkout(buyer, cart, [{}, {"nationality": "HR", "oib": valid_oib(5)}]), 422,
                 "holder_incomplete")


def test_a_minors_email_is_the_buyers(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)
    ten_years_ago = timezone.localdate() - timedelta(days=3650)

    response = checkout(buyer, cart, [{}, adult(date_of_birth=ten_years_ago.isoformat(),
                                                 email="kid@example.com")])

    assert response.status_code == 201, response.content
    kid = Order.objects.get().items.all()[1]
    assert kid.is_minor is True
    assert kid.email == buyer.user.email


def test_there_must_be_one_holder_per_ticket(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)

    assert_error(checkout(buyer, cart, [{}]), 422, "holder_count")
    assert_error(checkout(buyer, cart, [{}, adult(), adult()]), 422, "holder_count")


def test_a_standing_place_needs_a_holder_each(buyer, match):
    from tests.seating.factories import make_match_sector, make_price_category

    category = make_price_category(match=match, name="Standing", price=Decimal("15.00"))
    make_match_sector(match=match, code="S", total=50, price_category=category)
    cart = cart_of(buyer, match, category, 2)

    assert_error(checkout(buyer, cart, [{}]), 422, "holder_count")
    assert checkout(buyer, cart, [{}, adult()]).status_code == 201
    items = list(Order.objects.get().items.all())
    assert len(items) == 2 and items[0].ga_hold_id == items[1].ga_hold_id is not None


# --- blacklist --------------------------------------------------------------------------------

def test_a_blacklisted_holder_is_refused_and_the_attempt_is_logged(buyer, match, zone):
    banned = valid_oib(4242)
    blacklist_entry_create(oib=banned, first_name="Bad", last_name="Fan", reason="riot",
                           source=BlacklistSource.MUP_COURT_BAN, actor=None)
    cart = cart_of(buyer, match, zone, 2)

    body = assert_error(checkout(buyer, cart, [{}, adult(oib=banned)]), 403, "blacklisted")

    assert banned[-4:] in body["detail"]
    attempt = BlacklistViolation.objects.get()
    assert (attempt.action_type, attempt.reference, attempt.user) == (
        "PURCHASE_ATTEMPT", f"cart:{cart.id}", buyer.user)
    assert attempt.oib_masked.endswith(banned[-4:])
    assert not Order.objects.exists()
    assert not Payment.objects.exists()


# --- the cart ---------------------------------------------------------------------------------

def test_an_expired_cart_cannot_be_checked_out(buyer, login, match, zone):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        cart = cart_of(buyer, match, zone, 1)
        clock.shift(timedelta(minutes=settings.CART_HOLD_MINUTES, seconds=1))
        buyer = login(buyer.user)

        assert_error(checkout(buyer, cart, [{}]), 409, "cart_expired")
    assert not Order.objects.exists()


def test_another_fans_cart_is_a_404(buyer, login, match, zone):
    cart = cart_of(buyer, match, zone, 1)
    other = login("other@example.com")
    buyer_profile(other.user, oib=valid_oib(99))

    assert_error(checkout(other, cart, [{}]), 404, "cart_not_found")


def test_a_cart_is_checked_out_once(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 1)
    assert checkout(buyer, cart, [{}]).status_code == 201

    assert_error(checkout(buyer, cart, [{}]), 409, "order_exists")
    assert Order.objects.count() == 1


def test_an_anonymous_fan_cannot_check_out(api, db):
    assert api.post("/api/checkout", {"cart_id": 1, "holders": [{}]},
                    format="json").status_code == 401
