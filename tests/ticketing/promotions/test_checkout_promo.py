"""A promo code through the real checkout (US7): the discount before the fee and VAT, the use
taken with the order and given back once when the order expires, the per-buyer limit, case,
and the errors naming `promo_code`."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from payments.models import Payment
from tests.assertions import assert_error
from tests.ticketing.promotions.conftest import make_promo
from tests.ticketing.test_checkout import adult, buyer_profile, cart_of, valid_oib
from tests.ticketing.test_order_payment import fail, pay
from ticketing.models import Order, OrderItem, OrderStatus
from ticketing.promotions.models import ApplicationStatus, PromoCode, PromoCodeApplication
from ticketing.services.checkout import orders_expire

pytestmark = pytest.mark.django_db


def checkout(client, cart, quantity, code):
    holders = [{}] + [adult(first_name=f"Friend{n}") for n in range(1, quantity)]
    return client.post("/api/checkout", {"cart_id": cart.id, "holders": holders,
                                         "promo_code": code}, format="json")


def ordered(client, match, zone, code, quantity=2) -> Order:
    response = checkout(client, cart_of(client, match, zone, quantity), quantity, code)
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["order"]["id"])


def test_a_percentage_code_discounts_the_tickets_before_fee_and_vat(buyer, match, zone):
    promo = make_promo(match, code="SAVE10", value="10", max_uses=5)

    response = checkout(buyer, cart_of(buyer, match, zone, 2), 2, "save10")

    assert response.status_code == 201, response.content
    body = response.json()["order"]
    # 2 x 40.00 less 10 % = 72.00; fee 6 % of 72.00 = 4.32; VAT 5 % inside the tickets and
    # 25 % inside the fee
    assert (body["ticket_amount"], body["fee_amount"], body["total_amount"]) == (
        "72.00", "4.32", "76.32")
    assert (body["ticket_vat_amount"], body["fee_vat_amount"]) == ("3.43", "0.86")
    assert [item["price"] for item in body["items"]] == ["36.00", "36.00"]
    assert (body["promo_code"], body["promo_discount_amount"]) == ("SAVE10", "8.00")
    promo.refresh_from_db()
    assert promo.uses_count == 1
    application = PromoCodeApplication.objects.get()
    assert (application.status, application.discount_amount, application.buyer_id) == (
        ApplicationStatus.APPLIED, D("8.00"), buyer.user.pk)
    assert Payment.objects.get().amount == D("76.32")


def test_a_fixed_code_is_split_over_the_tickets_and_shows_on_the_order(buyer, match, zone):
    make_promo(match, code="TENOFF", kind="FIXED", value="10.01")
    order = ordered(buyer, match, zone, "TenOff", quantity=3)

    prices = sorted(OrderItem.objects.filter(order=order).values_list("unit_price", flat=True))
    assert prices == [D("36.66"), D("36.66"), D("36.67")]
    assert sum(prices) == order.ticket_amount == D("109.99")
    assert order.fee_amount == D("6.60")  # 6 % of the discounted 109.99
    body = buyer.get(f"/api/orders/{order.id}").json()
    assert (body["promo_code"], body["promo_discount_amount"]) == ("TENOFF", "10.01")
    assert sorted(item["price"] for item in body["items"]) == ["36.66", "36.66", "36.67"]


def test_a_fixed_code_above_the_tickets_is_capped_at_them(buyer, match, zone):
    make_promo(match, code="BIGOFF", kind="FIXED", value="79.00")
    order = ordered(buyer, match, zone, "BIGOFF", quantity=2)

    assert (order.ticket_amount, order.fee_amount, order.total_amount) == (
        D("1.00"), D("0.06"), D("1.06"))
    assert PromoCodeApplication.objects.get().discount_amount == D("79.00")


def test_a_code_that_would_make_the_order_free_is_refused(buyer, match, zone):
    # Pricing never goes below zero (tests/payments/test_pricing_promo.py), but a free order
    # has no payment to complete it, so checkout refuses it.
    make_promo(match, code="FREEBIE", kind="FIXED", value="500.00")

    response = checkout(buyer, cart_of(buyer, match, zone, 2), 2, "FREEBIE")

    assert_error(response, 422, "promo_code_order_free")
    assert PromoCode.objects.get().uses_count == 0


def test_an_order_without_a_code_shows_none(buyer, match, zone):
    order = ordered(buyer, match, zone, "", quantity=1)

    body = buyer.get(f"/api/orders/{order.id}").json()
    assert (body["promo_code"], body["promo_discount_amount"]) == (None, None)
    assert order.total_amount == D("42.40")


def test_a_platform_wide_code_works_for_any_match_and_case_does_not_matter(buyer, match, zone):
    make_promo(None, code="HNSFANS", value="50")

    order = ordered(buyer, match, zone, "hnsFans", quantity=1)

    assert order.ticket_amount == D("20.00")


@pytest.mark.parametrize(("fields", "status", "code"), [
    ({"is_active": False}, 422, "promo_code_inactive"),
    ({"valid_until": timezone.now() - timedelta(minutes=1)}, 422, "promo_code_expired"),
    ({"valid_from": timezone.now() + timedelta(days=1)}, 422, "promo_code_not_yet_valid"),
    ({"max_uses": 1, "uses_count": 1}, 409, "promo_code_used_up"),
])
def test_a_code_that_cannot_be_used_is_refused_naming_the_field(
        buyer, match, zone, fields, status, code):
    make_promo(match, code="SAVE10", **fields)

    response = checkout(buyer, cart_of(buyer, match, zone, 1), 1, "SAVE10")

    assert_error(response, status, code)
    assert "promo_code" in response.json()["fields"]
    assert not Order.objects.exists()


def test_an_unknown_code_or_another_matchs_code_is_404(buyer, match, zone):
    from tests.ticketing.test_cart import on_sale_match

    make_promo(on_sale_match(), code="OTHER1")
    cart = cart_of(buyer, match, zone, 1)

    assert_error(checkout(buyer, cart, 1, "NOPE1234"), 404, "promo_code_not_found")
    assert_error(checkout(buyer, cart, 1, "OTHER1"), 404, "promo_code_not_found")


def test_a_code_for_another_zone_does_not_apply(buyer, match, zone):
    from tests.ticketing.test_cart import seated_zone

    other, _ = seated_zone(match, code="B1", price="20.00")
    make_promo(match, code="BZONE", value="50").price_categories.set([other])

    response = checkout(buyer, cart_of(buyer, match, zone, 1), 1, "BZONE")

    assert_error(response, 422, "promo_code_not_applicable")
    assert PromoCode.objects.get().uses_count == 0


def test_a_code_for_the_carts_zone_applies(buyer, match, zone):
    make_promo(match, code="AZONE", value="50").price_categories.set([zone])

    assert ordered(buyer, match, zone, "AZONE", quantity=1).ticket_amount == D("20.00")


def test_the_per_buyer_limit_counts_the_buyers_live_uses(buyer, match, zone,
                                                          django_capture_on_commit_callbacks):
    make_promo(match, code="ONCEEACH", max_uses_per_buyer=1)
    first = ordered(buyer, match, zone, "ONCEEACH", quantity=1)
    pay(buyer, first, django_capture_on_commit_callbacks)

    response = checkout(buyer, cart_of(buyer, match, zone, 1), 1, "ONCEEACH")

    assert_error(response, 409, "promo_code_buyer_limit")
    assert PromoCode.objects.get().uses_count == 1


def test_a_paid_order_confirms_its_use(buyer, match, zone, django_capture_on_commit_callbacks):
    make_promo(match, code="SAVE10", max_uses=3)
    order = ordered(buyer, match, zone, "SAVE10", quantity=1)

    pay(buyer, order, django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert PromoCodeApplication.objects.get().status == ApplicationStatus.CONFIRMED
    assert PromoCode.objects.get().uses_count == 1


def test_an_expired_order_gives_its_use_back_exactly_once(
        buyer, api, match, zone, django_capture_on_commit_callbacks):
    make_promo(match, code="SAVE10", max_uses=3)
    order = ordered(buyer, match, zone, "SAVE10", quantity=1)
    fail(api, Payment.objects.get(), django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert PromoCode.objects.get().uses_count == 1  # a failed payment may still be retried

    order.cart.expires_at = timezone.now() - timedelta(seconds=1)
    order.cart.save(update_fields=["expires_at"])
    assert orders_expire() == 1
    assert orders_expire() == 0

    assert PromoCode.objects.get().uses_count == 0
    assert PromoCodeApplication.objects.get().status == ApplicationStatus.RELEASED
    from ticketing.promotions.services.codes import use_release
    assert use_release(order.pk) is False  # a second release changes nothing
    assert PromoCode.objects.get().uses_count == 0


def test_a_released_use_can_be_taken_again(buyer, login, make_user, match, zone):
    make_promo(match, code="LASTONE", max_uses=1)
    order = ordered(buyer, match, zone, "LASTONE", quantity=1)
    other = make_user()
    buyer_profile(other, oib=valid_oib(777))
    other = login(other)
    cart = cart_of(other, match, zone, 1)
    assert_error(checkout(other, cart, 1, "LASTONE"), 409, "promo_code_used_up")

    order.cart.expires_at = timezone.now() - timedelta(seconds=1)
    order.cart.save(update_fields=["expires_at"])
    orders_expire()

    assert PromoCode.objects.get().uses_count == 0
    assert checkout(other, cart, 1, "LASTONE").status_code == 201
    assert PromoCode.objects.get().uses_count == 1


@pytest.mark.parametrize("returned", [False, True])
def test_a_refund_keeps_the_use_unless_the_policy_returns_it(
        buyer, match, zone, settings, returned, django_capture_on_commit_callbacks):
    from ticketing.services.checkout import order_transition

    settings.PROMO_USE_RETURNED_ON_REFUND = returned
    make_promo(match, code="SAVE10", max_uses=3)
    order = ordered(buyer, match, zone, "SAVE10", quantity=1)
    pay(buyer, order, django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=order.pk)
    order_transition(order, OrderStatus.REFUNDED, reason="refunded")

    assert PromoCode.objects.get().uses_count == (0 if returned else 1)


def test_a_code_for_the_carts_match_sector_applies_only_there(buyer, match, zone):
    from seating.models import MatchSector
    from tests.ticketing.test_cart import seated_zone

    other, _ = seated_zone(match, code="B1", price="20.00")
    promo = make_promo(match, code="SECTORA", kind="FIXED", value="5.00")
    promo.match_sectors.set([MatchSector.objects.get(match=match, price_category=zone)])
    cart = cart_of(buyer, match, zone, 1)
    cart_of(buyer, match, other, 1)  # the same cart, a ticket in the other sector

    response = checkout(buyer, cart, 2, "SECTORA")

    assert response.status_code == 201, response.content
    prices = sorted(item["price"] for item in response.json()["order"]["items"])
    assert prices == ["20.00", "35.00"]


def test_guessing_codes_through_checkout_counts_like_the_preview(buyer, match, zone, settings):
    settings.PROMO_VALIDATE_RATE_PER_USER = "2/h"
    cart = cart_of(buyer, match, zone, 1)

    for n in range(2):
        assert_error(checkout(buyer, cart, 1, f"GUESS{n}"), 404, "promo_code_not_found")
    response = checkout(buyer, cart, 1, "GUESS9")

    assert_error(response, 429, "throttled")
    assert checkout(buyer, cart, 1, "").status_code == 201  # without a code: not limited


def test_a_code_changed_after_the_cart_was_priced_is_not_taken_on_old_terms(buyer, match):
    from django.db import transaction
    from django.db.models import F

    from core.errors import Conflict
    from ticketing.promotions.services.codes import use_take

    promo = make_promo(match, code="HALF50", value="50", max_uses=5)  # the terms priced
    PromoCode.objects.filter(pk=promo.pk).update(value=D("10"), version=F("version") + 1)

    with pytest.raises(Conflict) as refused, transaction.atomic():
        use_take(promo, user=buyer.user, now=timezone.now())

    assert refused.value.code == "promo_code_changed"
    assert PromoCode.objects.get(pk=promo.pk).uses_count == 0
