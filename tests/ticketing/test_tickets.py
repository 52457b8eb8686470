"""Tickets (E9-F1, E9-F2): a signed QR code a real decoder reads, and GET /api/tickets/<id>
showing the seat from 4 days and the QR code from 5 hours before kick-off."""

import base64
import io
from datetime import timedelta

import pytest
import time_machine
import zxingcpp
from PIL import Image

from tests.ticketing import test_checkout as base
from tests.ticketing.test_checkout import assert_error
from tests.ticketing.test_order_payment import ordered, pay
from ticketing.models import Ticket
from ticketing.services.tickets import (
    qr_payload,
    qr_payload_verify,
    qr_png,
    qr_rotating_payload,
    qr_rotating_verify,
)

pytestmark = pytest.mark.django_db

local_payments, buyer, match, zone = base.local_payments, base.buyer, base.match, base.zone


@pytest.fixture
def ticket(buyer, match, zone, django_capture_on_commit_callbacks) -> Ticket:
    order = ordered(buyer, match, zone, 1)
    pay(buyer, order, django_capture_on_commit_callbacks)
    return Ticket.objects.select_related("inventory").get(order=order)


def decode(png: bytes) -> str:
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    return result.text


# --- the QR code --------------------------------------------------------------------------------

def test_the_qr_code_decodes_to_the_signed_payload(ticket):
    text = decode(qr_png(ticket))

    assert text == qr_payload(ticket)
    prefix, barcode, signature = text.split(":")
    assert (prefix, barcode, len(signature)) == ("HNS1", ticket.barcode, 16)
    assert qr_payload_verify(text) == ticket.barcode


def test_a_forged_payload_does_not_verify(ticket):
    other_barcode = f"{(int(ticket.barcode) + 1) % 10**18:018d}"
    signature = qr_payload(ticket).rsplit(":", 1)[1]

    assert qr_payload_verify(f"HNS1:{other_barcode}:{signature}") is None
    assert qr_payload_verify(f"HNS2:{ticket.barcode}:{signature}") is None
    assert qr_payload_verify(ticket.barcode) is None


# --- tiered visibility --------------------------------------------------------------------------

def ticket_at(login, ticket, before_kick_off: timedelta) -> dict:
    with time_machine.travel(ticket.match.kick_off_time - before_kick_off, tick=False):
        response = login(ticket.order.buyer).get(f"/api/tickets/{ticket.id}")
    assert response.status_code == 200, response.content
    return response.json()


def test_five_days_before_kick_off_only_the_order_shows(login, ticket):
    body = ticket_at(login, ticket, timedelta(days=5))

    assert body["tier"] == "ORDER"
    assert body["status"] == "VALID"
    assert body["match"]["id"] == ticket.match_id
    assert body["zone"]["name"] == ticket.order_item.price_category.name
    assert body["order"]["number"] == ticket.order.number
    assert not {"sector", "row", "seat", "barcode", "qr_png_base64"} & set(body)


def test_two_days_before_kick_off_the_seat_shows_but_not_the_qr_code(login, ticket):
    body = ticket_at(login, ticket, timedelta(days=2))

    assert body["tier"] == "SEAT"
    assert (body["sector"]["code"], body["row"], body["seat"]) == (
        "A1", ticket.inventory.row_label, ticket.inventory.seat_number)
    assert not {"barcode", "qr_png_base64"} & set(body)


def test_two_hours_before_kick_off_the_qr_code_shows(login, ticket):
    body = ticket_at(login, ticket, timedelta(hours=2))

    assert body["tier"] == "FULL"
    assert body["barcode"] == ticket.barcode
    assert body["row"] == ticket.inventory.row_label
    text = decode(base64.b64decode(body["qr_png_base64"]))
    assert text == body["qr_payload"] and text.startswith(f"HNS2:{ticket.barcode}:")
    assert 0 < body["qr_expires_in"] <= 30


def test_the_app_code_rotates_every_30_seconds_and_lives_one_step_more(ticket):
    moment = ticket.match.kick_off_time - timedelta(hours=1)
    payload = qr_rotating_payload(ticket, moment)

    def verify(seconds_later: int, match_id: int = ticket.match_id):
        return qr_rotating_verify(payload, match_id=match_id,
                                  now=moment + timedelta(seconds=seconds_later))

    assert verify(0) == verify(30) == ticket.barcode  # this step and the next
    assert qr_rotating_payload(ticket, moment + timedelta(seconds=30)) != payload
    assert verify(60) is None  # a screenshot, a minute on
    assert verify(0, match_id=ticket.match_id + 1) is None
    forged = payload[:-1] + ("0" if payload[-1] != "0" else "1")
    assert qr_rotating_verify(forged, match_id=ticket.match_id, now=moment) is None


def test_someone_elses_ticket_is_a_404(login, ticket):
    other = login("other@example.com")

    foreign = other.get(f"/api/tickets/{ticket.id}")

    assert_error(foreign, 404, "ticket_not_found")
    assert foreign.json() == other.get("/api/tickets/999999").json()
