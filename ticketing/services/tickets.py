"""Tickets (E4-F8, E9-F1, E9-F2): issuing them for a paid order, the signed QR payload, and what a
fan may see of a ticket as kick-off approaches.

The QR code carries `HNS1:<barcode>:<signature>`, the signature being the first 16 hex digits of
HMAC-SHA256 over the barcode with a key derived from SECRET_KEY: a gate scanner can reject a
made-up barcode offline, and the barcode itself is random (`secrets`), never an id.

Issuing runs once per order sold, so it is one plain-SQL INSERT (building the ORM's bulk insert
cost more than running it, measured with bench/onsale_profile.py); the unique barcode index
decides clashes instead of a read first."""

import base64
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import qrcode
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.errors import NotFound
from core.sql import db_datetime
from ticketing.models import Order, Ticket, TicketStatus
from ticketing.signals import barcodes_wanted

BARCODE_DIGITS = 18
QR_PREFIX = "HNS1"
# E9-F2: the seat shows from 4 days before kick-off, the QR code from 5 hours before.
SEAT_VISIBLE_BEFORE = timedelta(days=4)
QR_VISIBLE_BEFORE = timedelta(hours=5)


class Tier:
    ORDER = "ORDER"  # match, zone, status
    SEAT = "SEAT"  # plus sector, row, seat
    FULL = "FULL"  # plus barcode and QR code


def barcode_new() -> str:
    return f"{secrets.randbelow(10**BARCODE_DIGITS):0{BARCODE_DIGITS}d}"


def barcodes_for(match_id: int, count: int) -> list[str]:
    """`count` barcodes for new tickets of the match: the spare codes the gates know first
    (`barcodes_wanted`), then random ones."""
    codes: list[str] = []
    for _receiver, given in barcodes_wanted.send(sender=Ticket, match_id=match_id, count=count):
        codes += list(given or [])[:count - len(codes)]
    return codes + [barcode_new() for _ in range(count - len(codes))]


def tickets_issue(*, order: Order, now: datetime, transfer_allowed: bool,
                  items: list | None = None) -> list[Ticket]:
    """One VALID ticket per order item (`items`: the caller's rows, each with `id`,
    `inventory_id` and `full_name`, when it read them already). Called by the order completion,
    inside its transaction with the order locked, so it runs once per order."""
    items = list(order.items.all()) if items is None else items
    barcodes: dict[int, str] = {}  # order item id -> its ticket's barcode
    ticket_ids: dict[int, int] = {}
    while len(ticket_ids) < len(items):  # 10^18 codes: a clash is astronomically rare
        left = [item for item in items if item.id not in ticket_ids]
        codes = set(barcodes_for(order.match_id, len(left)))
        if len(codes) < len(left):
            continue
        barcodes |= dict(zip((item.id for item in left), codes, strict=True))
        ticket_ids |= _tickets_insert(order, left, barcodes, now, transfer_allowed)
    return [Ticket(id=ticket_ids[item.id], order=order, order_item_id=item.id,
                   match_id=order.match_id, inventory_id=item.inventory_id,
                   barcode=barcodes[item.id], holder_name=item.full_name, issued_at=now,
                   transfer_allowed=transfer_allowed)
            for item in items]


def _tickets_insert(order: Order, items: list, barcodes: dict[int, str],
                    now: datetime, transfer_allowed: bool) -> dict[int, int]:
    """Insert the items' tickets; {order item id: ticket id} of those inserted. A ticket whose
    barcode exists already is skipped (ON CONFLICT), to be tried again with another code."""
    issued_at = db_datetime(now)
    rows = [[order.pk, item.id, order.match_id, item.inventory_id, TicketStatus.VALID,
             barcodes[item.id], item.full_name, transfer_allowed, issued_at] for item in items]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ticketing_ticket (order_id, order_item_id, match_id, inventory_id,"
            " status, barcode, holder_name, transfer_allowed, transfer_count, issued_at,"
            " external_ticket_required) VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, 0, %s, FALSE)"] * len(rows))
            + " ON CONFLICT (barcode) DO NOTHING RETURNING order_item_id, id",
            [value for row in rows for value in row])
        return dict(cursor.fetchall())


# --- QR ---------------------------------------------------------------------------------------

def _qr_key() -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), b"ticketing.ticket-qr",
                    hashlib.sha256).digest()


def qr_signature(barcode: str) -> str:
    return hmac.new(_qr_key(), barcode.encode(), hashlib.sha256).hexdigest()[:16]


def qr_payload(ticket: Ticket) -> str:
    return f"{QR_PREFIX}:{ticket.barcode}:{qr_signature(ticket.barcode)}"


def qr_payload_verify(payload: str) -> str | None:
    """The barcode of a genuine payload, None for a forged or malformed one."""
    prefix, _, rest = payload.partition(":")
    barcode, _, signature = rest.partition(":")
    if prefix != QR_PREFIX or not barcode or not signature:
        return None
    return barcode if hmac.compare_digest(signature, qr_signature(barcode)) else None


# The app's rotating code: `HNS2:<barcode>:<step>:<signature>`, the step being the 30-second
# period since the epoch and the signature an HMAC over barcode and step with the match's gate
# key. Gates accept the current and the previous step, so a screenshot stops working within a
# minute; a device that downloaded the match key checks it offline.
ROTATING_PREFIX = "HNS2"
QR_STEP_SECONDS = 30


def match_gate_key(match_id: int) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"gates.match-key:{match_id}".encode(),
                    hashlib.sha256).digest()


def qr_step(now: datetime) -> int:
    return int(now.timestamp()) // QR_STEP_SECONDS


def _rotating_signature(key: bytes, barcode: str, step: int) -> str:
    return hmac.new(key, f"{barcode}:{step}".encode(), hashlib.sha256).hexdigest()[:16]


def qr_rotating_payload(ticket: Ticket, now: datetime) -> str:
    step = qr_step(now)
    signature = _rotating_signature(match_gate_key(ticket.match_id), ticket.barcode, step)
    return f"{ROTATING_PREFIX}:{ticket.barcode}:{step}:{signature}"


def qr_rotating_verify(payload: str, *, match_id: int, now: datetime) -> str | None:
    """The barcode of a genuine code of this match's current or previous step, else None."""
    parts = payload.split(":")
    if len(parts) != 4 or parts[0] != ROTATING_PREFIX or not parts[2].isdigit():
        return None
    _, barcode, step, signature = parts
    if int(step) not in (qr_step(now), qr_step(now) - 1):
        return None
    expected = _rotating_signature(match_gate_key(match_id), barcode, int(step))
    return barcode if hmac.compare_digest(signature, expected) else None


def qr_png(ticket: Ticket, payload: str | None = None) -> bytes:
    """The QR code of `payload` (the static signed one unless given)."""
    buffer = io.BytesIO()
    qrcode.make(payload or qr_payload(ticket), border=4).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_png_base64(ticket: Ticket, payload: str | None = None) -> str:
    return base64.b64encode(qr_png(ticket, payload)).decode()


# --- reads ------------------------------------------------------------------------------------

def ticket_tier(*, kick_off: datetime, now: datetime) -> str:
    left = kick_off - now
    if left > SEAT_VISIBLE_BEFORE:
        return Tier.ORDER
    if left > QR_VISIBLE_BEFORE:
        return Tier.SEAT
    return Tier.FULL


@dataclass
class TicketView:
    ticket: Ticket
    tier: str


def ticket_for_buyer(*, user, ticket_id: int) -> TicketView:
    """A ticket of one of the fan's orders (404 for anyone else's: its existence is not theirs
    to learn), with the visibility tier of this moment."""
    ticket = (Ticket.objects
              .select_related("order", "match", "inventory", "order_item__match_sector",
                              "order_item__price_category")
              .filter(pk=ticket_id, order__buyer=user).first())
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    return TicketView(ticket=ticket,
                      tier=ticket_tier(kick_off=ticket.match.kick_off_time, now=timezone.now()))
