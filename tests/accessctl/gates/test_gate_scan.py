"""POST /api/gate/scan for gate devices (beyond the seeds): the app's rotating code lets a
valid ticket of this match in once; everything else is refused with its reason; a device's
retry gets the same answer; only a device token is accepted. GET /api/gate/matches/<id>/key
lets a device check codes offline."""

import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.gates.models import GateScan
from accessctl.gates.services.scans import gate_device_create
from tests.seating.factories import make_match
from tests.ticketing.aftersale.test_transfer import new_holder
from ticketing.models import Ticket, TicketStatus
from ticketing.services.tickets import qr_payload, qr_rotating_payload
from ticketing.support.models import PrintLog

pytestmark = pytest.mark.django_db


def device_client(gate="Gate 3 North") -> APIClient:
    _device, token = gate_device_create(name=f"Scanner {gate}", gate=gate)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


@pytest.fixture
def gate():
    return device_client()


def scan(client, match_id, code, scan_id="s-1"):
    response = client.post("/api/gate/scan", {"match_id": match_id, "code": code,
                                              "scan_id": scan_id}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_valid_ticket_enters_once_and_then_is_told_where(gate, match, paid):
    ticket = paid(1).tickets.get()

    entered = scan(gate, match.pk, qr_rotating_payload(ticket, timezone.now()))

    assert (entered["result"], entered["gate"]) == ("ACCEPTED", "Gate 3 North")
    assert entered["holder_name"] == ticket.holder_name
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ATTENDED and ticket.attended_at is not None
    other_gate = device_client("Gate 7 South")
    again = scan(other_gate, match.pk, qr_rotating_payload(ticket, timezone.now()), "s-2")
    assert (again["result"], again["reason"]) == ("REFUSED", "ALREADY_ENTERED")
    assert "Gate 3 North" in again["message"]


def test_a_retry_of_the_same_scan_gets_the_same_answer(gate, match, paid):
    ticket = paid(1).tickets.get()
    code = qr_rotating_payload(ticket, timezone.now())

    first, retry = scan(gate, match.pk, code), scan(gate, match.pk, code)

    assert first == retry and first["result"] == "ACCEPTED"
    assert GateScan.objects.count() == 1


def test_a_screenshot_stops_working_within_a_minute(gate, match, paid):
    ticket = paid(1).tickets.get()
    code = qr_rotating_payload(ticket, timezone.now())

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        body = scan(gate, match.pk, code)

    assert (body["result"], body["reason"]) == ("REFUSED", "EXPIRED_CODE")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID


def test_static_codes_open_only_for_an_emergency_reprint(gate, match, paid, make_user):
    ticket = paid(1).tickets.get()
    assert scan(gate, match.pk, ticket.barcode)["reason"] == "STATIC_CODE"
    assert scan(gate, match.pk, qr_payload(ticket), "s-2")["reason"] == "STATIC_CODE"

    PrintLog.objects.create(ticket=ticket, agent=make_user("agent@hns.hr"), reason="phone",
                            identity_verified=True, verification_document_type="ID_CARD",
                            print_location="office")

    assert scan(gate, match.pk, qr_payload(ticket), "s-3")["result"] == "ACCEPTED"


def test_refusals_say_why(gate, match, paid, buyer):
    first, second, third = paid(3).tickets.order_by("pk")
    now = timezone.now()
    Ticket.objects.filter(pk=first.pk).update(status=TicketStatus.REFUNDED)
    refunded = scan(gate, match.pk, qr_rotating_payload(first, now), "a")
    assert (refunded["reason"], refunded["message"]) == ("TICKET_ENDED",
                                                         "This ticket was refunded.")
    other = make_match(home_team="Dinamo", status="PUBLISHED")
    wrong = scan(gate, other.pk, qr_rotating_payload(second, now), "b")
    assert wrong["reason"] == "WRONG_MATCH" and str(match) in wrong["message"]
    old_code = qr_rotating_payload(third, now)
    assert buyer.post(f"/api/tickets/{third.pk}/transfer", {"holder": new_holder()},
                      format="json").status_code == 200
    assert scan(gate, match.pk, old_code, "c")["reason"] == "TRANSFERRED"
    assert scan(gate, match.pk, "HNS2:nonsense", "d")["reason"] == "UNKNOWN"
    forged = qr_rotating_payload(second, now)[:-4] + "0000"
    assert scan(gate, match.pk, forged, "e")["reason"] == "EXPIRED_CODE"
    unknown = gate.post("/api/gate/scan", {"match_id": 999999, "code": "x", "scan_id": "f"},
                        format="json")
    assert unknown.status_code == 404


def test_only_a_gate_device_may_scan(buyer, match, paid):
    ticket = paid(1).tickets.get()
    body = {"match_id": match.pk, "code": qr_rotating_payload(ticket, timezone.now()),
            "scan_id": "x"}
    assert buyer.post("/api/gate/scan", body, format="json").status_code in (401, 403)
    anonymous = APIClient()
    assert anonymous.post("/api/gate/scan", body, format="json").status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION="Device not-a-token")
    assert anonymous.post("/api/gate/scan", body, format="json").status_code == 401
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID


def test_a_device_checks_codes_offline_with_the_match_key(gate, match, paid):
    ticket = paid(1).tickets.get()
    key = gate.get(f"/api/gate/matches/{match.pk}/key").json()
    code = qr_rotating_payload(ticket, timezone.now())
    _, barcode, step, signature = code.split(":")

    mine = hmac.new(bytes.fromhex(key["key"]), f"{barcode}:{step}".encode(),
                    hashlib.sha256).hexdigest()[:16]

    assert mine == signature and key["step_seconds"] == 30


def test_a_closed_match_takes_no_scans(gate, match, paid):
    from seating.models import Match, MatchStatus

    ticket = paid(1).tickets.get()
    Match.objects.filter(pk=match.pk).update(status=MatchStatus.CLOSED)
    response = gate.post("/api/gate/scan", {"match_id": match.pk, "code": qr_rotating_payload(
        ticket, timezone.now()), "scan_id": "late"}, format="json")
    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID
