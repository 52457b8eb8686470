"""The order's rendering (GET /api/orders/<id>, and the order in the checkout response): plain
dicts in the shape `OrderOut` documents, read with one query for the items and their tickets."""

import json
from decimal import Decimal

import pytest
from django.db.models import Q
from rest_framework.renderers import JSONRenderer

from payments.models import Payment
from tests.seating.factories import make_match_sector, make_price_category
from tests.ticketing import test_checkout as base
from tests.ticketing.test_checkout import adult, cart_of, checkout
from tests.ticketing.test_order_payment import ordered, pay
from ticketing.api.orders import OrderOut, refund_state
from ticketing.models import Order

pytestmark = pytest.mark.django_db

local_payments, buyer, match, zone = base.local_payments, base.buyer, base.match, base.zone


def documented_invoice(order: Order) -> dict | None:
    invoice = order.documents.filter(document_type="INVOICE").first()
    return invoice and {"number": invoice.e_racuni_number, "status": invoice.status,
                        "pdf_url": invoice.public_url}


def as_documented(order_id: int) -> dict:
    """The order as `OrderOut` renders it from the models."""
    order = Order.objects.select_related("match").get(pk=order_id)
    payments = list(Payment.objects.filter(Q(reference=order.payment_reference)
                                           | Q(idempotency_key=order.payment_idempotency_key)))
    refunded = sum((p.refunded_amount for p in payments if p.reference == order.payment_reference),
                   Decimal("0.00"))
    data = OrderOut({
        **{name: getattr(order, name) for name in (
            "id", "number", "status", "match", "ticket_amount", "ticket_vat_amount",
            "fee_amount", "fee_vat_amount", "total_amount", "fee_percent", "currency",
            "created_at", "paid_at")},
        "items": list(order.items.select_related("match_sector", "price_category", "inventory")),
        "tickets": list(order.tickets.all()),
        "payment": next((p for p in payments
                         if p.idempotency_key == order.payment_idempotency_key), None),
        "refunded_amount": refunded,
        "refund_status": refund_state(order, refunded),
        "invoice": documented_invoice(order),
    }).data
    return json.loads(JSONRenderer().render(data))


def test_a_paid_order_renders_as_order_out_documents_it(
        buyer, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 3)
    pay(buyer, order, django_capture_on_commit_callbacks)

    body = buyer.get(f"/api/orders/{order.id}").json()

    assert body == as_documented(order.id)
    assert len(body["items"]) == len(body["tickets"]) == 3
    assert all(item["row"] and item["seat"] for item in body["items"])
    assert body["paid_at"] and body["payment"]["status"] == "SUCCEEDED"


def test_the_checkout_response_carries_the_order_as_documented(buyer, match, zone):
    cart = cart_of(buyer, match, zone, 2)

    body = checkout(buyer, cart, [{}, adult(first_name="Marko")]).json()

    assert body["order"] == as_documented(body["order"]["id"])
    assert body["order"] == buyer.get(f"/api/orders/{body['order']['id']}").json()
    assert (body["order"]["tickets"], body["order"]["paid_at"]) == ([], None)
    assert [i["holder_name"] for i in body["order"]["items"]] == ["Ana Horvat", "Marko Kovač"]


def test_standing_places_have_no_row_or_seat(buyer, match, django_capture_on_commit_callbacks):
    category = make_price_category(match=match, name="Standing", price=Decimal("15.00"))
    make_match_sector(match=match, code="S", total=50, price_category=category)
    order = ordered(buyer, match, category, 2)
    pay(buyer, order, django_capture_on_commit_callbacks)

    body = buyer.get(f"/api/orders/{order.id}").json()

    assert body == as_documented(order.id)
    assert {(i["row"], i["seat"], i["sector"]) for i in body["items"]} == {(None, None, "S")}


def test_a_partial_refund_shows_its_amount_and_status(
        buyer, match, zone, django_capture_on_commit_callbacks):
    order = ordered(buyer, match, zone, 2)
    pay(buyer, order, django_capture_on_commit_callbacks)
    Payment.objects.filter(reference=order.payment_reference).update(
        refunded_amount=Decimal("10.00"))  # test setup, not a refund

    body = buyer.get(f"/api/orders/{order.id}").json()

    assert body == as_documented(order.id)
    assert (body["refunded_amount"], body["refund_status"]) == ("10.00", "PARTIAL")


@pytest.mark.parametrize("quantity", [1, 4])
def test_the_order_is_read_in_five_queries_whatever_its_size(
        quantity, buyer, match, zone, django_capture_on_commit_callbacks,
        django_assert_num_queries):
    order = ordered(buyer, match, zone, quantity)
    pay(buyer, order, django_capture_on_commit_callbacks)

    # the session, the order, its items with their tickets, its payments, its invoice
    with django_assert_num_queries(5):
        body = buyer.get(f"/api/orders/{order.id}").json()

    assert len(body["tickets"]) == quantity
