"""Carts (E4-F4): add tickets of a zone, show, release, expire.

Who may add: a fan the running sales phase admits (its eligibility rules, never the public in a
QUOTA_ONLY phase: services.eligibility), with an open queue window while the match's queue runs,
within the per-match cap and the phase's own per-fan limit.

One OPEN cart per fan and match. Every hold it takes runs until the cart's `expires_at`: the end
of the fan's queue window when they came through the waiting room, else CART_HOLD_MINUTES from
opening the cart. An expired hold is free for everyone at once (the allocator treats it as
available); `carts_expire` (Celery, every 30 s) then marks the cart EXPIRED and returns its
seats with audit rows.

The statements add-to-cart runs on every call are plain SQL (or `Model.objects.raw`): on a
sell-out every fan runs them, and building each ORM query cost the web process about five times
what the database spent running it (measured with bench/onsale_profile.py;
docs/architecture.md, "The on-sale hot path").

Locks, always in this order: the fan's user row (serialises one fan's cart writes, so parallel
adds cannot pass the ticket limit), the cart row, then the allocator's sector rows and seats,
then (a package add, a cart's end, its completion) the package row, always last.
The expiry sweep takes only the cart row and then seats, so the two never wait on each other
in a circle."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_clause, lock_first, lock_rows, lock_wait
from core.sql import db_datetime, insert_rows
from core.status import StatusMachine
from payments.pricing import package_shares
from queueing.models import QueueEntry, QueueStatus
from queueing.services import queue_window_check
from seating.models import Match, MatchSector, SalesPhase, SeatInventory
from seating.services.allocation import Algorithm, Allocation, Hold, allocate, holds_release
from ticketing import signals
from ticketing.models import Cart, CartItem, CartPackage, CartStatus, OrderStatus
from ticketing.packages.services import catalog as packages_catalog
from ticketing.packages.services.stock import (
    cart_packages_released,
    cart_packages_sold,
    package_take,
)
from ticketing.selectors import catalog
from ticketing.services import eligibility
from ticketing.services.sale_context import sale_match, sale_phases, sale_zone_sectors

CART_STATUS = StatusMachine("cart", {
    CartStatus.OPEN: {CartStatus.CHECKED_OUT, CartStatus.EXPIRED, CartStatus.RELEASED},
})
EXPIRE_BATCH = 500
ITEM_FIELDS = ("id", "cart_id", "quantity", "unit_price", "full_price", "discount_percent",
               "together", "warning", "inventory_id", "ga_hold_id", "package_line_id",
               "match_sector__id", "match_sector__code", "match_sector__name",
               "price_category__id", "price_category__name", "price_category__currency",
               "inventory__id", "inventory__row_label", "inventory__seat_number")


# --- reads ----------------------------------------------------------------------------------

def tickets_bought(*, user, match: Match) -> int:
    """Tickets of the fan's completed orders for the match. With what their live cart holds (an
    unpaid order's seats are still its cart's), this counts against
    MAX_TICKETS_PER_FAN_PER_MATCH."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ticketing_orderitem i"
                       " JOIN ticketing_order o ON o.id = i.order_id"
                       " WHERE o.buyer_id = %s AND o.match_id = %s AND o.status = %s",
                       [user.pk, match.id, OrderStatus.COMPLETED])
        return cursor.fetchone()[0]


def tickets_in_cart(*, user, match: Match) -> int:
    """What the fan's live cart for the match holds."""
    return (CartItem.objects.filter(cart__user=user, cart__match=match,
                                    cart__status=CartStatus.OPEN,
                                    cart__expires_at__gt=timezone.now())
            .aggregate(n=Sum("quantity"))["n"] or 0)


def tickets_promised(*, user, match: Match) -> int:
    """Tickets promised to the fan elsewhere (a petrol PIN: `tickets_promised` receivers)."""
    return sum(n or 0 for _receiver, n in signals.tickets_promised.send(
        sender=Match, user=user, match_id=match.pk))


def _items(cart: Cart) -> list[CartItem]:
    """The cart's items with what rendering them needs (sector, zone, seat), in one query."""
    return list(cart.items.select_related("match_sector", "price_category", "inventory")
                .only(*ITEM_FIELDS))


def cart_effective_status(cart: Cart, now: datetime | None = None) -> str:
    """An OPEN cart past its expiry is EXPIRED whether or not the sweep has run."""
    now = now or timezone.now()
    if cart.status == CartStatus.OPEN and cart.expires_at <= now:
        return CartStatus.EXPIRED
    return cart.status


@dataclass
class CartView:
    cart: Cart
    status: str
    items: list[CartItem]
    total: Decimal
    currency: str
    remaining_seconds: int
    together: bool
    warnings: list[str]
    package_lines: list[CartPackage]


def cart_view(*, user, match_id: int) -> CartView:
    """The fan's current cart for the match: the OPEN one, or the last one if it EXPIRED
    (shown with status EXPIRED and no time left). 404 when there is neither."""
    now = timezone.now()
    cart = (Cart.objects.filter(user=user, match_id=match_id,
                                status__in=[CartStatus.OPEN, CartStatus.EXPIRED])
            .order_by("-created_at", "-id").first())
    if cart is None:
        raise NotFound("You have no cart for this match.", code="cart_not_found")
    return _view(cart, _items(cart), now)


def _view(cart: Cart, items: list[CartItem], now: datetime) -> CartView:
    status = cart_effective_status(cart, now)
    remaining = max(0, int((cart.expires_at - now).total_seconds()))
    return CartView(
        cart=cart, status=status, items=items,
        total=sum((i.unit_price * i.quantity for i in items), Decimal("0.00")),
        currency=items[0].price_category.currency if items else "EUR",
        remaining_seconds=remaining if status == CartStatus.OPEN else 0,
        together=all(i.together for i in items),
        warnings=list(dict.fromkeys(i.warning for i in items if i.warning)),
        package_lines=(list(CartPackage.objects.filter(cart=cart).select_related("package"))
                       if any(i.package_line_id for i in items) else []))


# --- transitions ----------------------------------------------------------------------------

def cart_mark_checked_out(*, cart_id: int, actor=None, reason: str = "paid",
                          packages: bool = True) -> None:
    """The cart's seats became an order's tickets, and its packages are sold (`packages`:
    False when the caller knows it holds none). Called by the order's completion, which holds
    the OPEN cart's row lock."""
    _transition(Cart(id=cart_id, status=CartStatus.OPEN), CartStatus.CHECKED_OUT, actor=actor,
                reason=reason)
    if packages:
        cart_packages_sold(cart_id)


def _transition(cart: Cart, to_status: str, *, actor=None, reason: str = "") -> None:
    """Claim the cart in its current status and move it; the transitions table decides."""
    from_status = cart.status
    CART_STATUS.check(from_status, to_status)
    now = timezone.now()
    with connection.cursor() as cursor:  # every sale runs it (checkout), so plain SQL
        cursor.execute("UPDATE ticketing_cart SET status = %s, ended_at = %s, updated_at = %s"
                       " WHERE id = %s AND status = %s",
                       [to_status, db_datetime(now), db_datetime(now), cart.pk, from_status])
        if cursor.rowcount != 1:
            raise Conflict("Your cart changed meanwhile; try again.", code="cart_changed")
    cart.status, cart.ended_at = to_status, now
    audit_record(actor=actor, action=f"cart.{to_status.lower()}", obj=cart,
                 before={"status": from_status}, after={"status": to_status, "reason": reason})


def _end(cart: Cart, to_status: str, *, actor=None, reason: str) -> int:
    """Move the cart out of OPEN and give its seats and packages back. Returns the
    seats/places released."""
    _transition(cart, to_status, actor=actor, reason=reason)
    released = holds_release(owner=cart.hold_owner, reason=reason, actor=actor)
    cart_packages_released(cart.pk)  # after the seats: a package row is locked last
    return released


def fan_lock(user) -> None:
    """The fan's user row, locked: every path that counts a fan's tickets against the
    per-match cap takes it first (cart, petrol PINs)."""
    with connection.cursor() as cursor, lock_wait():
        cursor.execute("SELECT id FROM ticketing_user WHERE id = %s" + lock_clause(), [user.pk])


def _open_cart_locked(*, user, match: Match, now: datetime) -> Cart | None:
    """The fan's live OPEN cart, locked; one that ran out is ended here (EXPIRED)."""
    with lock_wait():
        cart = next(iter(Cart.objects.raw(
            "SELECT * FROM ticketing_cart WHERE user_id = %s AND match_id = %s AND status = %s"
            + lock_clause(), [user.pk, match.id, CartStatus.OPEN])), None)
    if cart is not None and cart.expires_at <= now:
        _end(cart, CartStatus.EXPIRED, reason="cart expired")
        return None
    return cart


# --- add --------------------------------------------------------------------------------------

def _phase_on_sale(match: Match, user, now: datetime) -> tuple[SalesPhase, int]:
    """The running sales phase and the fan's ticket limit in it, if this fan may buy in it: a
    published/active match (checked by the caller) before kick-off, in a running phase (409
    otherwise) that is open to the public and whose eligibility rules the fan meets (403
    otherwise)."""
    phase = eligibility.phase_running(phases=sale_phases(match=match), now=now)
    if match.kick_off_time <= now or phase is None:
        raise Conflict("Tickets for this match are not on sale now.", code="not_on_sale")
    standing = eligibility.fan_standing(user, phase)
    eligibility.phase_eligibility_check(phase=phase, user=user, standing=standing)
    return phase, eligibility.phase_ticket_limit(phase, standing)


def _check_limits(*, user, match: Match, phase: SalesPhase, phase_limit: int, quantity: int,
                  held: int, now: datetime) -> None:
    """The per-match cap over all phases and orders (`held`: what the fan's live cart holds),
    then the running phase's own limit for this fan (`phase_limit`). Called under the fan's
    row lock, so parallel adds cannot pass either."""
    limit = settings.MAX_TICKETS_PER_FAN_PER_MATCH
    already = held + tickets_bought(user=user, match=match) + tickets_promised(user=user,
                                                                              match=match)
    if already + quantity > limit:
        raise ValidationFailed(
            f"You can have at most {limit} tickets for this match; you already have "
            f"{already}.", code="ticket_limit_reached", field="quantity")
    if phase_limit >= limit:
        return
    in_phase = eligibility.tickets_in_phase(user=user, phase=phase, now=now)
    if in_phase + quantity > phase_limit:
        raise ValidationFailed(
            f'You can have at most {phase_limit} tickets during the sales phase '
            f'"{phase.name}"; you already have {in_phase}.',
            code="phase_ticket_limit_reached", field="quantity")


def _zone_sectors(match: Match, zone_id: int) -> list[MatchSector]:
    sectors = sale_zone_sectors(match_id=match.id, zone_id=zone_id)
    if not sectors:
        raise NotFound("This match has no such zone on sale.", code="zone_not_found",
                       field="zone_id")
    return sectors


def _queue_window_end(match: Match, user, now: datetime) -> datetime | None:
    """When the fan's open purchase window (queue admission) ends, if they have one."""
    entry = next(iter(QueueEntry.objects.raw(
        "SELECT id, window_expires_at FROM queueing_queueentry WHERE user_id = %s"
        " AND match_id = %s AND status = %s AND window_expires_at > %s LIMIT 1",
        [user.pk, match.id, QueueStatus.ADMITTED,
         db_datetime(now)])), None)
    return entry.window_expires_at if entry else None


def _sale_open(*, user, match_id: int, now: datetime):
    """The match on sale to this fan, the running phase and its limit, and the end of the fan's
    queue window (None without one): 404 unless published/active, 409 off sale, 403 not
    eligible or while the queue runs without a window."""
    match = sale_match(match_id=match_id)
    phase, phase_limit = _phase_on_sale(match, user, now)
    window_end = _queue_window_end(match, user, now)
    if window_end is None:  # an open window passes the queue check: ask only without one
        queue_window_check(match=match, user=user)
    return match, phase, phase_limit, window_end


def _cart_for_add(*, user, match: Match, phase: SalesPhase, phase_limit: int, tickets: int,
                  window_end: datetime | None, now: datetime) -> tuple[Cart, list[CartItem]]:
    """In the caller's transaction: the fan's row locked, their open cart (opened if none) and
    what it holds, once `tickets` more pass the fan's limits."""
    fan_lock(user)
    cart = _open_cart_locked(user=user, match=match, now=now)
    held = _items(cart) if cart is not None else []
    _check_limits(user=user, match=match, phase=phase, phase_limit=phase_limit,
                  quantity=tickets, now=now, held=sum(item.quantity for item in held))
    if cart is None:
        expires_at = window_end or now + timedelta(minutes=settings.CART_HOLD_MINUTES)
        cart = Cart(user=user, match=match, expires_at=expires_at, created_at=now,
                    updated_at=now)
        insert_rows([cart])
    return cart, held


def _hold(cart: Cart, user) -> Hold:
    return Hold(owner=cart.hold_owner, until=cart.expires_at, user=user, reason="cart")


def cart_add(*, user, match_id: int, zone_id: int, quantity: int, request=None) -> CartView:
    """Hold `quantity` best-available tickets of a zone (price category) in the fan's cart;
    returns the cart as it now is."""
    now = timezone.now()
    match, phase, phase_limit, window_end = _sale_open(user=user, match_id=match_id, now=now)
    sectors = _zone_sectors(match, zone_id)
    with transaction.atomic():
        cart, held = _cart_for_add(user=user, match=match, phase=phase, phase_limit=phase_limit,
                                   tickets=quantity, window_end=window_end, now=now)
        allocation = allocate(match=match, sectors=sectors, quantity=quantity,
                              algorithm=Algorithm.NM, hold=_hold(cart, user))
        added = _items_for(cart, allocation, sectors, catalog.discount_percent_on(match, now),
                           now)
        insert_rows(added)
        audit_record(actor=user, action="cart.add", obj=cart, request=request,
                     after={"zone_id": zone_id, "quantity": quantity,
                            "match_sector_id": allocation.match_sector_id,
                            "inventory_ids": allocation.inventory_ids,
                            "ga_hold_id": allocation.general_admission_hold_id})
    return _view(cart, held + added, now)


def cart_add_package(*, user, match_id: int, package_id: int, quantity: int = 1,
                     request=None) -> CartView:
    """Hold `quantity` packages in the fan's cart: one cart line, its seats taken from the
    package's zones by the same allocator (together where possible), each seat priced at its
    share of the package price, and the package's stock taken last (409 when sold out)."""
    now = timezone.now()
    match, phase, phase_limit, window_end = _sale_open(user=user, match_id=match_id, now=now)
    package = packages_catalog.package_for_sale(match_id=match.id, package_id=package_id)
    sectors = [sector for zone_id in package.zone_ids
               for sector in sale_zone_sectors(match_id=match.id, zone_id=zone_id)]
    if not sectors:
        raise Conflict("This package's zones are not on sale.", code="package_not_on_sale",
                       field="package_id")
    tickets = package.seats_per_package * quantity
    with transaction.atomic():
        cart, held = _cart_for_add(user=user, match=match, phase=phase, phase_limit=phase_limit,
                                   tickets=tickets, window_end=window_end, now=now)
        allocation = allocate(match=match, sectors=sectors, quantity=tickets,
                              algorithm=Algorithm.NM, hold=_hold(cart, user))
        line = CartPackage(cart=cart, package=package, quantity=quantity,
                           unit_price=package.price, created_at=now)
        insert_rows([line])
        added = _package_items(cart, line, allocation, sectors, now)
        insert_rows(added)
        package_take(package_id=package.id, quantity=quantity)  # last: after the seats
        audit_record(actor=user, action="cart.add_package", obj=cart, request=request,
                     after={"package_id": package.id, "quantity": quantity,
                            "match_sector_id": allocation.match_sector_id,
                            "inventory_ids": allocation.inventory_ids,
                            "ga_hold_id": allocation.general_admission_hold_id})
    return _view(cart, held + added, now)


def _package_items(cart: Cart, line: CartPackage, allocation: Allocation,
                   sectors: list[MatchSector], now: datetime) -> list[CartItem]:
    """The seats of a package line, each at its share of the package price (`package_shares`);
    standing places of one share are one item."""
    sector = next(s for s in sectors if s.id == allocation.match_sector_id)
    per_package = line.package.seats_per_package
    prices = [unit for unit, count in package_shares(price=line.unit_price, seats=per_package)
              for _ in range(count)] * line.quantity
    common = {"cart": cart, "match_sector": sector, "price_category": sector.price_category,
              "discount_percent": Decimal("0.00"), "together": allocation.together,
              "warning": allocation.warning, "created_at": now, "package_line": line}
    if allocation.general_admission_hold_id is not None:
        counts = Counter(prices)
        return [CartItem(ga_hold_id=allocation.general_admission_hold_id, quantity=n,
                         unit_price=unit, full_price=unit, **common)
                for unit, n in sorted(counts.items(), reverse=True)]
    return [CartItem(inventory=SeatInventory(id=seat["id"], row_label=seat["row"],
                                             seat_number=seat["seat"]), quantity=1,
                     unit_price=unit, full_price=unit, **common)
            for seat, unit in zip(allocation.seats, prices, strict=True)]


def _items_for(cart: Cart, allocation: Allocation, sectors: list[MatchSector],
               discount: Decimal, now: datetime) -> list[CartItem]:
    """The new items of an allocation, with their sector, zone and seats attached, so that the
    cart renders without reading them back."""
    sector = next(s for s in sectors if s.id == allocation.match_sector_id)
    category = sector.price_category
    common = {"cart": cart, "match_sector": sector, "price_category": category,
              "unit_price": catalog.price_after_discount(category.price, discount),
              "full_price": category.price, "discount_percent": discount,
              "together": allocation.together, "warning": allocation.warning, "created_at": now}
    if allocation.general_admission_hold_id is not None:
        return [CartItem(ga_hold_id=allocation.general_admission_hold_id,
                         quantity=allocation.quantity, **common)]
    return [CartItem(inventory=SeatInventory(id=seat["id"], row_label=seat["row"],
                                             seat_number=seat["seat"]), quantity=1, **common)
            for seat in allocation.seats]


# --- release and expiry -----------------------------------------------------------------------

def cart_release(*, user, match_id: int, request=None) -> Cart:
    """The fan empties their cart: its seats are free at once. A cart that already ran out
    ends as EXPIRED instead of RELEASED."""
    with transaction.atomic():
        fan_lock(user)
        cart = lock_first(Cart.objects.filter(user=user, match_id=match_id,
                                              status=CartStatus.OPEN))
        if cart is None:
            raise NotFound("You have no open cart for this match.", code="cart_not_found")
        if cart.expires_at <= timezone.now():
            _end(cart, CartStatus.EXPIRED, reason="cart expired")
        else:
            _end(cart, CartStatus.RELEASED, actor=user, reason="cart released by the fan")
    return cart


def cart_expire(*, cart_id: int) -> bool:
    """Mark one OPEN cart that ran out EXPIRED and return its seats; False when it is not
    (any more) an expired open cart."""
    with transaction.atomic():
        cart = lock_first(Cart.objects.filter(pk=cart_id, status=CartStatus.OPEN,
                                              expires_at__lte=timezone.now()))
        if cart is None:
            return False
        _end(cart, CartStatus.EXPIRED, reason="cart expired")
    return True


def carts_release_for_match(*, match_id: int, reason: str, actor=None) -> int:
    """Every open cart of the match ends, its seats given back (the match was cancelled): a
    payment still to come finds no hold and is refunded. In the caller's transaction."""
    carts = lock_rows(Cart.objects.filter(match_id=match_id, status=CartStatus.OPEN))
    for cart in carts:
        _end(cart, CartStatus.RELEASED, actor=actor, reason=reason)
    return len(carts)


def carts_expire() -> int:
    """The sweep: every OPEN cart past its expiry (a batch per run). Returns how many ended."""
    ids = list(Cart.objects.filter(status=CartStatus.OPEN, expires_at__lte=timezone.now())
               .order_by("expires_at").values_list("id", flat=True)[:EXPIRE_BATCH])
    return sum(cart_expire(cart_id=i) for i in ids)
