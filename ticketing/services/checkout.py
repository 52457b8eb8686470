"""Checkout (E4-F5, E4-F6, E4-F7, E4-F8): a cart becomes an order with one holder per ticket, is
paid through `payments`, and the payment's outcome completes it (tickets), fails it (retryable
while the hold lasts) or expires it (refunded: the seats were no longer ours to sell).

Order of work in `checkout_submit`: every check that needs no lock, then `blacklist_check`
(which commits its own attempt log and must run outside our transaction), then one transaction
for the order and its payment row, then the payment's intent with no transaction open (it calls
the provider). A promo code (US7, `ticketing.promotions`) is checked with the rest, and its use
is taken in the order's transaction by one conditional UPDATE; it is confirmed when the order
completes and given back when it expires (`_promo_follow`).

Locks, in this order: the order row, the cart row, then the seats (through `seats_transition`,
which locks them in id order) - the cart sweep takes cart then seats, so they never wait on each
other in a circle. The provider is never called while a lock is held: a refund for a payment
that came too late runs after the order's transaction committed.

Checkout and completion run for every order sold, so their statements are plain SQL (or
`Model.objects.raw` where a typed instance is needed): building the ORM queries cost the web
process several times what the database spent running them
(measured with bench/onsale_profile.py; docs/architecture.md, "The on-sale hot path")."""

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accessctl.models import ViolationAction
from accessctl.services.check import blacklist_check, listed_today_params, listed_today_sql
from core.audit import audit_record
from core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from core.locks import lock_clause, lock_first, lock_one, lock_rows, lock_wait
from core.metrics import order_completed_count
from core.notifications import TemplateKey, email_send, push_send
from core.pii import keyed_hash
from core.sql import db_datetime, insert_rows, marks
from core.status import StatusMachine
from core.transactions import enqueue_on_commit
from payments.models import Payment
from payments.outcomes import payment_success_pending
from payments.pricing import line_amounts, order_amounts
from payments.services import (
    payment_intent_create,
    payment_local_complete,
    payment_record,
    payment_start,
)
from payments.tasks import payment_refund_all
from queueing.services import queue_window_complete
from seating.models import (
    GeneralAdmissionHold,
    HoldStatus,
    Match,
    MatchStatus,
    SeatInventory,
    SeatStatus,
)
from seating.services.inventory import seats_transition
from ticketing.models import (
    Cart,
    CartItem,
    CartStatus,
    Order,
    OrderItem,
    OrderStatus,
    Profile,
    User,
)
from ticketing.packages.services.answers import answers_check, answers_record
from ticketing.packages.services.purchases import purchases_record
from ticketing.promotions.models import PromoCodeApplication
from ticketing.promotions.services import codes as promo_codes
from ticketing.promotions.services.preview import promo_tries_count
from ticketing.services import cart as carts
from ticketing.services.holders import holders_resolve
from ticketing.services.tickets import tickets_issue
from ticketing.signals import order_completed

ORDER_STATUS = StatusMachine("order", {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.EXPIRED},
    OrderStatus.FAILED: {OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED},
    OrderStatus.COMPLETED: {OrderStatus.REFUNDED},
    OrderStatus.EXPIRED: {OrderStatus.REFUNDED},
    OrderStatus.REFUNDED: set(),
})
REFERENCE_PREFIX = "order:"


@dataclass
class Checkout:
    order: Order
    payment: Payment
    # A new order's items, each with its cart item's `sector_code`, `zone_name`, `row_label`
    # and `seat_number`, so the response needs no read (None: read them).
    items: list[OrderItem] | None = None


# --- helpers ----------------------------------------------------------------------------------

def order_number(order: Order) -> str:
    return f"HNS-{order.created_at:%Y}-{order.pk:06d}"


def order_id_from_reference(reference: str) -> int | None:
    prefix, _, rest = (reference or "").partition(REFERENCE_PREFIX)
    return int(rest) if not prefix and rest.isdigit() else None


def order_transition(order: Order, to_status: str, *, actor=None, reason: str = "",
                **fields) -> None:
    """Move a locked order along ORDER_STATUS, save what changed, audit it."""
    from_status = ORDER_STATUS.move(order, to_status, **fields)
    order.updated_at = timezone.now()
    _order_update(order, ["status", *fields, "updated_at"])
    _promo_follow(order, to_status)
    audit_record(actor=actor, action=f"order.{to_status.lower()}", obj=order,
                 before={"status": from_status}, after={"status": to_status, "reason": reason,
                                                        **{k: str(v) for k, v in fields.items()}})


def _promo_follow(order: Order, to_status: str) -> None:
    """The order's promo code use follows it: confirmed when paid, given back when it expires
    (or, per PROMO_USE_RETURNED_ON_REFUND, when refunded). An order read with
    `promo_status` (None: no code) skips the statement when there is nothing to move."""
    if getattr(order, "promo_status", "") is None:
        return
    if to_status == OrderStatus.COMPLETED:
        promo_codes.use_confirm(order.pk)
    elif to_status == OrderStatus.EXPIRED:
        promo_codes.use_release(order.pk)
    elif to_status == OrderStatus.REFUNDED:
        promo_codes.use_refunded(order.pk)


def _order_update(order: Order, names: list[str]) -> None:
    """`order.save(update_fields=names)` as one plain UPDATE."""
    fields = [Order._meta.get_field(name) for name in names]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE ticketing_order SET {', '.join(f'{f.column} = %s' for f in fields)}"
            " WHERE id = %s",
            [f.get_db_prep_save(getattr(order, f.attname), connection) for f in fields]
            + [order.pk])


def _hold_is_live(cart: Cart, now: datetime) -> bool:
    return cart.status == CartStatus.OPEN and cart.expires_at > now


def _promo_of(field: str) -> Subquery:
    """The order's promo code application's `field`, as a subquery (none: NULL), so that the
    order's read shows it without a query more and can still lock the order's row."""
    return Subquery(PromoCodeApplication.objects.filter(order_id=OuterRef("pk"))
                    .values(field)[:1])


def order_for_buyer(*, user, order_id: int, lock: bool = False) -> Order:
    """The order, only for its buyer: anyone else's is 404 like a missing one (E9-F7), so
    order ids cannot be probed."""
    orders = (Order.objects.select_related("match").filter(pk=order_id, buyer_id=user.pk)
              .annotate(promo_code=_promo_of("promo_code__code"),
                        promo_discount=_promo_of("discount_amount")))
    try:
        return lock_one(orders) if lock else orders.get()
    except Order.DoesNotExist:
        raise NotFound("No such order.", code="order_not_found") from None


def order_payment(order: Order) -> Payment | None:
    """The payment of the order's current attempt (None before it was started)."""
    return Payment.objects.filter(idempotency_key=order.payment_idempotency_key).first()


# --- checkout ---------------------------------------------------------------------------------

def _check_cart(status: str, live: bool) -> None:
    """An OPEN cart whose hold is live may be checked out; an OPEN one past its expiry counts
    as EXPIRED whether or not the sweep has run (`cart.cart_effective_status`)."""
    if status == CartStatus.OPEN and live:
        return
    if status in (CartStatus.OPEN, CartStatus.EXPIRED):
        raise Conflict("Your cart expired; add the tickets again.", code="cart_expired")
    raise Conflict(f"This cart is {status.lower().replace('_', ' ')}.", code="cart_not_open")


def _cart_match(*, user, cart_id: int, now: datetime) -> Match | None:
    """The match of the fan's cart, carrying the cart's state: `cart_status`, `cart_live`
    (its hold runs past `now`) and `cart_has_order`. None if the fan has no such cart."""
    return next(iter(Match.objects.raw(
        "SELECT m.*, c.status AS cart_status, c.expires_at > %s AS cart_live,"
        " EXISTS (SELECT 1 FROM ticketing_order o WHERE o.cart_id = c.id) AS cart_has_order"
        " FROM ticketing_cart c JOIN seating_match m ON m.id = c.match_id"
        " WHERE c.id = %s AND c.user_id = %s",
        [db_datetime(now), cart_id, user.pk])), None)


def _cart_items(cart_id: int) -> list[CartItem]:
    """The cart's items, each with what the new order's response shows of it: `sector_code`,
    `zone_name`, `row_label`, `seat_number` (None for a standing place), and for a package's
    seat its line's `package_id`, `package_name` and `package_quantity`."""
    return list(CartItem.objects.raw(
        "SELECT i.*, s.code AS sector_code, z.name AS zone_name, seat.row_label,"
        " seat.seat_number, l.package_id, l.quantity AS package_quantity,"
        " p.name AS package_name FROM ticketing_cartitem i"
        " JOIN seating_matchsector s ON s.id = i.match_sector_id"
        " JOIN seating_pricecategory z ON z.id = i.price_category_id"
        " LEFT JOIN seating_seatinventory seat ON seat.id = i.inventory_id"
        " LEFT JOIN ticketing_cartpackage l ON l.id = i.package_line_id"
        " LEFT JOIN packages_package p ON p.id = l.package_id"
        " WHERE i.cart_id = %s ORDER BY i.id", [cart_id]))


def _buyer_profile(user) -> Profile | None:
    return next(iter(Profile.objects.raw(
        "SELECT * FROM ticketing_profile WHERE user_id = %s", [user.pk])), None)


def _cart_lock(cart_id: int, now: datetime) -> tuple[str, bool]:
    """Lock the cart's row: its status, and whether its hold runs past `now`."""
    with connection.cursor() as cursor, lock_wait():
        cursor.execute("SELECT status, expires_at > %s FROM ticketing_cart WHERE id = %s"
                       + lock_clause(), [db_datetime(now), cart_id])
        status, live = cursor.fetchone()
        return status, bool(live)


def checkout_submit(*, user, cart_id: int, holders: list[dict], request=None,
                    promo_code: str = "") -> Checkout:
    """Turn the fan's open cart into an order with one holder per ticket and start its payment,
    with `promo_code`'s discount if one is given (its use is taken in the order's transaction)."""
    now = timezone.now()
    match = _cart_match(user=user, cart_id=cart_id, now=now)
    if match is None:
        raise NotFound("You have no such cart.", code="cart_not_found")
    _check_cart(match.cart_status, match.cart_live)
    items = _cart_items(cart_id)
    count = sum(item.quantity for item in items)
    if not count:
        raise ValidationFailed("Your cart is empty.", code="cart_empty")
    if match.cart_has_order:
        raise Conflict("This cart was already checked out.", code="order_exists")
    people = holders_resolve(user=user, profile=_buyer_profile(user), given=holders, count=count)
    answers = answers_check(package_ids=[i.package_id for i in items for _ in range(i.quantity)],
                            given=holders)

    blacklist_check(oibs=[p["oib"] for p in people], user=user, request=request,
                    action=ViolationAction.PURCHASE_ATTEMPT, match_id=match.pk,
                    reference=f"cart:{cart_id}")

    priced = None
    if promo_code:
        if request is not None:  # guessing through checkout counts like the preview
            promo_tries_count(request, user)
        promo = promo_codes.code_find(match_id=match.pk, code=promo_code)
        promo_codes.code_check(promo, user=user, now=now)
        priced = promo_codes.cart_price(promo, items=items, match=match)
        lines, amounts = priced.lines, priced.amounts
    else:
        lines = list(enumerate(line_amounts(unit_price=i.full_price, quantity=i.quantity,
                                            discount_percent=i.discount_percent)
                               for i in items))
        amounts = order_amounts(lines=[line for _, line in lines], match_type=match.match_type,
                                fee_percent=match.fee_percent)
        if not amounts.total_amount:  # e.g. a package priced 0.00 alone in the cart
            raise ValidationFailed("This cart costs nothing, and the shop only sells: free "
                                   "tickets are given through quotas.", code="order_free",
                                   field="cart_id")
    try:
        with transaction.atomic():
            now = timezone.now()
            _check_cart(*_cart_lock(cart_id, now))
            if priced is not None:
                promo_codes.use_take(priced.promo, user=user, now=now)
            order = Order(
                buyer=user, match=match, cart_id=cart_id,
                ticket_amount=amounts.ticket_amount,
                ticket_vat_amount=amounts.ticket_vat_amount, fee_amount=amounts.fee_amount,
                fee_vat_amount=amounts.fee_vat_amount, total_amount=amounts.total_amount,
                fee_percent=amounts.fee_percent, currency=amounts.currency,
                created_at=now, updated_at=now)
            insert_rows([order])
            order.number = order_number(order)
            _order_update(order, ["number"])
            people_left = iter(people)
            rows, tickets = [], []
            for index, line in lines:  # a promo code may have split an item into sub-lines
                item = items[index]
                for _ in range(line.quantity):
                    person = next(people_left)
                    row = OrderItem(
                        order=order, cart_item_id=item.id, inventory_id=item.inventory_id,
                        ga_hold_id=item.ga_hold_id, match_sector_id=item.match_sector_id,
                        price_category_id=item.price_category_id, unit_price=line.unit_amount,
                        package_id=item.package_id, oib_hash=keyed_hash(person["oib"]),
                        **{k: v for k, v in person.items()})
                    row.sector_code, row.zone_name = item.sector_code, item.zone_name
                    row.row_label, row.seat_number = item.row_label, item.seat_number
                    row.package_name = item.package_name
                    rows.append(row)
                    tickets.append((index, line.unit_amount))
            insert_rows(rows)
            answers_record(rows, answers)
            purchases_record(order=order, items=items, tickets=tickets, amounts=amounts,
                             now=now)
            order.promo_code = order.promo_discount = None
            if priced is not None:
                promo_codes.application_record(
                    promo=priced.promo, order=order, user=user, now=now,
                    discount=amounts.promo_discount_amount)
                order.promo_code = priced.promo.code
                order.promo_discount = amounts.promo_discount_amount
            audit_record(actor=user, action="order.created", obj=order, request=request,
                         after={"number": order.number, "cart_id": cart_id, "tickets": count,
                                "total_amount": str(order.total_amount),
                                **({"promo_code": order.promo_code} if priced else {})})
            # The payment row commits with its order (its key is new with the order); the
            # provider is asked for the intent only after the commit.
            payment = payment_record(reference=order.payment_reference,
                                     amount=order.total_amount, currency=order.currency,
                                     idempotency_key=order.payment_idempotency_key)
    except IntegrityError:  # a parallel checkout of the same cart won
        raise Conflict("This cart was already checked out.", code="order_exists") from None
    return Checkout(order=order, payment=payment_intent_create(payment=payment), items=rows)


def _payment_start(order: Order) -> Payment:
    return payment_start(reference=order.payment_reference, amount=order.total_amount,
                         currency=order.currency, idempotency_key=order.payment_idempotency_key)


def order_payment_retry(*, user, order_id: int, request=None) -> Checkout:
    """A new payment attempt after a failed one, while the cart's hold lasts. For an order still
    waiting for payment it returns the current attempt (started again if the provider was down)."""
    expired = False
    with transaction.atomic():
        order = order_for_buyer(user=user, order_id=order_id, lock=True)
        if order.status not in (OrderStatus.FAILED, OrderStatus.PENDING_PAYMENT):
            raise Conflict(f"A {order.status} order cannot be paid.", code="order_not_payable")
        cart = lock_one(Cart.objects.filter(pk=order.cart_id))
        if not _hold_is_live(cart, timezone.now()):
            order_transition(order, OrderStatus.EXPIRED, actor=user, reason="hold expired",
                        ended_at=timezone.now())
            expired = True
        elif order.status == OrderStatus.FAILED:
            order_transition(order, OrderStatus.PENDING_PAYMENT, actor=user, reason="payment retry",
                        payment_attempt=order.payment_attempt + 1)
    if expired:  # after the commit, so the order stays EXPIRED
        raise Conflict("Your seats were released before the payment; start a new order.",
                       code="hold_expired")
    return Checkout(order=order, payment=_payment_start(order))


def order_pay_local(*, user, order_id: int) -> Order:
    """The embedded demo's "pay" button: completes the current attempt's local payment through
    the signed-webhook path, exactly as Stripe's webhook would."""
    if settings.PAYMENTS_PROVIDER != "local" or not settings.PAYMENTS_LOCAL_ENABLED:
        raise NotFound("Not found.")
    order = order_for_buyer(user=user, order_id=order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise Conflict(f"A {order.status} order cannot be paid.", code="order_not_payable")
    payment = order_payment(order)
    if payment is None:
        raise Conflict("This order has no payment yet; retry the payment.",
                       code="payment_not_started")
    payment_local_complete(payment=payment)
    order.refresh_from_db()
    return order


# --- payment outcomes (called by ticketing.receivers) -----------------------------------------

class _Item(NamedTuple):
    """What checking, selling and issuing tickets read of an order item."""

    id: int
    inventory_id: int | None
    ga_hold_id: int | None
    first_name: str
    last_name: str
    package_id: int | None
    holder_listed: bool  # on the blacklist today

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _order_locked(order_id: int) -> Order | None:
    """The order, its row locked, with what completing it reads of its buyer and match:
    `buyer_email`, `profile_id` with `buyer_first_name`/`buyer_last_name`, `home_team`,
    `away_team`, `tickets_transferable`, `match_status`."""
    with lock_wait():
        return next(iter(Order.objects.raw(
            "SELECT o.*, u.email AS buyer_email, p.id AS profile_id,"
            " p.first_name AS buyer_first_name, p.last_name AS buyer_last_name,"
            " m.home_team, m.away_team, m.tickets_transferable, m.status AS match_status,"
            " pa.status AS promo_status"
            " FROM ticketing_order o JOIN ticketing_user u ON u.id = o.buyer_id"
            " JOIN seating_match m ON m.id = o.match_id"
            " LEFT JOIN ticketing_profile p ON p.user_id = o.buyer_id"
            " LEFT JOIN promotions_promocodeapplication pa ON pa.order_id = o.id"
            " WHERE o.id = %s" + lock_clause("o"), [order_id])), None)


def _order_items(order_id: int) -> list[_Item]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, inventory_id, ga_hold_id, first_name, last_name, package_id, "
                       + listed_today_sql("ticketing_orderitem.oib_hash")
                       + " FROM ticketing_orderitem WHERE order_id = %s ORDER BY id",
                       [*listed_today_params(), order_id])
        return [_Item(*row) for row in cursor.fetchall()]


def _seats_still_ours(items: list[_Item], hold_owner: str,
                      now: datetime) -> list[SeatInventory] | None:
    """The order's seats, locked (id order), if every one is still RESERVED for the cart and
    every standing hold still HELD, unexpired (the holds are locked too); None otherwise. The
    seats are read with what `seats_transition` needs, so selling them does not lock them again."""
    seat_ids = sorted({i.inventory_id for i in items if i.inventory_id})
    ga_ids = sorted({i.ga_hold_id for i in items if i.ga_hold_id})
    with lock_wait():
        seats = list(SeatInventory.objects.raw(
            "SELECT id, status, hold_owner, hold_expires_at, release_to"
            f" FROM seating_seatinventory WHERE id IN ({marks(seat_ids)}) ORDER BY id"
            + lock_clause(), seat_ids)) if seat_ids else []
    holds = lock_rows(GeneralAdmissionHold.objects.filter(id__in=ga_ids)) if ga_ids else []
    ours = (len(seats) == len(seat_ids) and len(holds) == len(ga_ids)
            and all(s.status == SeatStatus.RESERVED and s.hold_owner == hold_owner
                    and s.hold_expires_at and s.hold_expires_at > now for s in seats)
            and all(h.status == HoldStatus.HELD and h.owner == hold_owner
                    and h.expires_at and h.expires_at > now for h in holds))
    return seats if ours else None


def _sell(order: Order, items: list[_Item], seats: list[SeatInventory], hold_owner: str,
          payment: Payment, now: datetime) -> None:
    if seats:
        result = seats_transition(inventory_ids=[s.id for s in seats], locked=seats,
                                  to_status=SeatStatus.SOLD, from_statuses={SeatStatus.RESERVED},
                                  reason="sold", hold_owner=order.payment_reference,
                                  order_id=order.pk)
        if len(result.changed) != len(seats):  # cannot happen under our locks; never oversell
            raise Conflict("A seat of this order changed meanwhile.", code="seat_changed")
    ga_ids = sorted({i.ga_hold_id for i in items if i.ga_hold_id})
    if ga_ids:
        sold = GeneralAdmissionHold.objects.filter(
            id__in=ga_ids, status=HoldStatus.HELD, owner=hold_owner, expires_at__gt=now,
        ).update(status=HoldStatus.SOLD, updated_at=now)
        if sold != len(ga_ids):
            raise Conflict("A standing hold of this order changed meanwhile.",
                           code="seat_changed")
    tickets = tickets_issue(order=order, now=now, items=items,
                            transfer_allowed=order.tickets_transferable)
    # Only the ids (and the email, for the audit) of the buyer and match are read below.
    buyer = User(id=order.buyer_id, email=order.buyer_email)
    carts.cart_mark_checked_out(cart_id=order.cart_id, actor=buyer,
                                reason=f"paid as order {order.number}",
                                packages=any(i.package_id for i in items))
    if order.status == OrderStatus.FAILED:  # a late success of an earlier attempt
        order_transition(order, OrderStatus.PENDING_PAYMENT, reason="an earlier attempt succeeded")
    order_transition(order, OrderStatus.COMPLETED, reason="payment succeeded", payment=payment,
                paid_at=now, ended_at=now)
    with contextlib.suppress(InvalidTransition):  # bought without the waiting room
        queue_window_complete(match=Match(id=order.match_id), user=buyer)
    name = (f"{order.buyer_first_name} {order.buyer_last_name}".strip()
            if order.profile_id is not None else order.buyer_email)
    _notify_completed(order, buyer=buyer, name=name,
                      match=f"{order.home_team} v {order.away_team}", ticket_count=len(tickets))


def order_notify_completed(order: Order, ticket_count: int) -> None:
    """The confirmation email and push of a completed order (its buyer and match loaded)."""
    buyer = order.buyer
    try:
        name = buyer.profile.full_name
    except Profile.DoesNotExist:
        name = buyer.email
    _notify_completed(order, buyer=buyer, name=name, ticket_count=ticket_count,
                      match=f"{order.match.home_team} v {order.match.away_team}")


def _notify_completed(order: Order, *, buyer, name: str, match: str, ticket_count: int) -> None:
    """The confirmation email and push, logged once the order's transaction commits (at once
    outside one): rendering them must not lengthen the hold on the order's, cart's and seats'
    locks, and a sale that rolled back has nothing to confirm. Delivery is a task after that."""
    number, total, order_id = order.number, str(order.total_amount), str(order.pk)
    match_id = order.match_id

    def notify() -> None:
        email_send(template_key=TemplateKey.ORDER_CONFIRMATION, to=buyer.email, variables={
            "name": name, "order_number": number, "match": match, "total": total})
        push_send(user=buyer, notification_type="order_completed",
                  title="Your tickets are ready",
                  body=f"{ticket_count} ticket(s) for {match} (order {number}).",
                  data={"order_id": order_id})

    transaction.on_commit(notify)
    transaction.on_commit(lambda source=order.source: order_completed_count(source))  # /metrics
    # invoicing queues the invoice (the sweep `invoices_missing` redoes one lost here); the
    # live match dashboard refreshes
    transaction.on_commit(lambda: order_completed.send(sender=Order, order_id=int(order_id),
                                                       match_id=match_id), robust=True)


def order_payment_succeeded(*, payment: Payment) -> Order | None:
    """Complete the order the payment is for, once: tickets if the seats are still held for it,
    otherwise the order EXPIRES and the money goes back. A payment the order no longer needs
    (a second attempt that also succeeded) is refunded too."""
    order_id = order_id_from_reference(payment.reference)
    if order_id is None:
        return None
    refund_reason = ""
    with transaction.atomic():
        order = _order_locked(order_id)
        if order is None:
            return None
        if order.status == OrderStatus.COMPLETED:
            if order.payment_id == payment.pk:
                return order  # a replay: the tickets exist already
            refund_reason = "duplicate payment for a completed order"
        elif order.status in (OrderStatus.EXPIRED, OrderStatus.REFUNDED):
            refund_reason = "hold expired before payment"
        else:
            now = timezone.now()
            hold_owner = Cart(pk=order.cart_id).hold_owner
            status, live = _cart_lock(order.cart_id, now)
            items = _order_items(order.pk)
            # No ticket is issued for a cancelled match (E2-F7), or to a holder listed since
            # checkout (E11-F4), even from a cart that was on sale a moment before: the money
            # goes back.
            refused = ("match cancelled" if order.match_status == MatchStatus.CANCELLED else
                       "a ticket holder is on the blacklist"
                       if any(i.holder_listed for i in items) else "")
            seats = (_seats_still_ours(items, hold_owner, now)
                     if status == CartStatus.OPEN and live and not refused else None)
            if seats is not None:
                _sell(order, items, seats, hold_owner, payment, now)
            else:
                refund_reason = refused or "hold expired before payment"
                if order.status == OrderStatus.FAILED:
                    order_transition(order, OrderStatus.PENDING_PAYMENT,
                                reason="an earlier attempt succeeded")
                order_transition(order, OrderStatus.EXPIRED, reason=refund_reason, ended_at=now)
    if refund_reason:  # a task, so a provider outage is retried rather than lost
        enqueue_on_commit(payment_refund_all, payment.pk, refund_reason)
    return order


def orders_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Unpaid orders whose cart hold has lapsed become EXPIRED (a payment that still succeeds
    later is refunded by `order_payment_succeeded`). An order whose payment succeeded but is
    not delivered yet is left to the delivery, which completes or refunds it. Returns how many
    expired."""
    now = now or timezone.now()
    lapsed = (Order.objects.filter(status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.FAILED])
              .exclude(cart__status=CartStatus.OPEN, cart__expires_at__gt=now)
              .filter(~payment_success_pending(REFERENCE_PREFIX))
              .values_list("pk", flat=True)[:limit])
    expired = 0
    for order_id in list(lapsed):
        with transaction.atomic():
            order = lock_first(Order.objects.filter(
                pk=order_id, status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.FAILED])
                .annotate(promo_status=_promo_of("status")),  # None: no code to give back
                skip_locked=True)
            if order is None:
                continue
            order_transition(order, OrderStatus.EXPIRED, reason="hold expired before payment",
                        ended_at=now)
            expired += 1
    return expired


def order_payment_failed(*, payment: Payment) -> Order | None:
    """The current attempt failed: FAILED, retryable while the hold lasts. A failure of an
    older attempt changes nothing."""
    order_id = order_id_from_reference(payment.reference)
    if order_id is None:
        return None
    with transaction.atomic():
        order = lock_first(Order.objects.filter(pk=order_id))
        if (order is None or order.status != OrderStatus.PENDING_PAYMENT
                or payment.idempotency_key != order.payment_idempotency_key):
            return order
        order_transition(order, OrderStatus.FAILED, reason=payment.failure_message or "failed")
    return order
