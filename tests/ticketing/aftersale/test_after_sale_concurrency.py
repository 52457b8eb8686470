"""The after-sale under contention, on PostgreSQL with threads: a ticket is refunded once,
cancelled or transferred but never both, and a holder's ticket limit holds when transfers
race."""

from collections import Counter
from decimal import Decimal

import pytest

from core.errors import DomainError
from core.pii import keyed_hash
from core.roles import Role
from payments.models import Payment, PaymentStatus, Refund
from tests.concurrency import run_together
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import adult, buyer_profile, valid_oib
from ticketing.aftersale.services.cancellations import tickets_cancel
from ticketing.aftersale.services.match_cancel import match_cancel
from ticketing.aftersale.services.refunds import order_refund
from ticketing.aftersale.services.transfers import ticket_transfer
from ticketing.models import OrderItem, Ticket, TicketStatus
from ticketing.services.cart import cart_add
from ticketing.services.checkout import checkout_submit, order_pay_local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def local_payments(settings):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


@pytest.fixture
def shop(email_templates):
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 3)
    return match, zone


def bought(user, shop, quantity: int):
    match, zone = shop
    cart = cart_add(user=user, match_id=match.id, zone_id=zone.id, quantity=quantity).cart
    holders = [{}] + [adult(first_name=f"Friend{n}", oib=valid_oib(500 + n))
                      for n in range(1, quantity)]
    order = checkout_submit(user=user, cart_id=cart.id, holders=holders).order
    return order_pay_local(user=user, order_id=order.id)


def outcome(result) -> str:
    return result.code if isinstance(result, DomainError) else "ok"


def test_ten_supervisors_refunding_one_ticket_at_once_refund_it_once(make_user, shop):
    buyer = make_user()
    buyer_profile(buyer)
    order = bought(buyer, shop, 2)
    ticket = order.tickets.order_by("pk").first()
    supervisors = [make_user(roles=[Role.SUPERVISOR]) for _ in range(10)]

    results = run_together(10, lambda i: order_refund(
        order_id=order.pk, ticket_ids=[ticket.pk], reason="double click", actor=supervisors[i]))

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["ok"] == 1, results
    assert set(outcomes) <= {"ok", "ticket_not_valid", "busy"}, results
    assert Refund.objects.count() == 1
    order.payment.refresh_from_db()
    assert order.payment.refunded_amount == Decimal("40.00")


def test_a_cancellation_racing_a_transfer_of_the_same_ticket_lets_one_win(make_user, shop):
    rounds, winners = 6, Counter()
    for n in range(rounds):
        buyer = make_user()
        buyer_profile(buyer, oib=valid_oib(7000 + n))
        order = bought(buyer, shop, 1)
        ticket = order.tickets.get()
        new = adult(first_name="Iva", oib=valid_oib(9000 + n), email=f"iva{n}@example.com")

        def race(i, buyer=buyer, order=order, ticket=ticket, new=new):
            if i == 0:
                return tickets_cancel(user=buyer, order_id=order.pk, ticket_ids=[ticket.pk],
                                      reason="race")
            return ticket_transfer(user=buyer, ticket_id=ticket.pk, holder=new)

        cancelled, transferred = run_together(2, race)
        ticket.refresh_from_db()
        if ticket.status == TicketStatus.CANCELLED:
            assert outcome(cancelled) == "ok" and outcome(transferred) == "ticket_not_valid"
            assert ticket.transfer_count == 0
            winners["cancel"] += 1
        else:
            assert outcome(transferred) == "ok", transferred
            assert outcome(cancelled) == "ticket_transferred", cancelled
            assert (ticket.status, ticket.transfer_count) == (TicketStatus.VALID, 1)
            assert not Refund.objects.filter(pk=ticket.refund_id).exists()
            winners["transfer"] += 1
    assert sum(winners.values()) == rounds


def test_transfers_racing_to_one_holder_stop_at_four_tickets(make_user, shop):
    target = keyed_hash(valid_oib(4444))
    first_fan, second_fan = make_user(), make_user()
    buyer_profile(first_fan)
    buyer_profile(second_fan, oib=valid_oib(3333))
    held = bought(first_fan, shop, 3)
    OrderItem.objects.filter(order=held).update(oib_hash=target)  # 3 tickets already theirs
    racing = [*bought(first_fan, shop, 1).tickets.all(), *bought(second_fan, shop, 4).tickets.all()]
    owners = [first_fan] + [second_fan] * 4

    results = run_together(len(racing), lambda i: ticket_transfer(
        user=owners[i], ticket_id=racing[i].pk,
        holder=adult(first_name="Tina", oib=valid_oib(4444), email="tina@example.com")))

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["ok"] == 1, results
    assert set(outcomes) <= {"ok", "holder_limit_reached", "busy"}, results
    assert OrderItem.objects.filter(oib_hash=target, ticket__status=TicketStatus.VALID
                                    ).count() == 4


def test_a_match_cancelled_while_fans_pay_leaves_no_valid_ticket_and_refunds_each_payment_once(
        make_user, shop):
    match, zone = shop
    fans = [make_user() for _ in range(8)]
    pending = []
    for n, fan in enumerate(fans):
        buyer_profile(fan, oib=valid_oib(12_000 + n))
        cart = cart_add(user=fan, match_id=match.id, zone_id=zone.id, quantity=1).cart
        pending.append(checkout_submit(user=fan, cart_id=cart.id, holders=[{}]).order)
    admin = make_user(roles=[Role.SUPER_ADMIN])

    def work(i):
        if i == len(fans):
            return match_cancel(match_id=match.id, actor=admin, reason="storm")
        return order_pay_local(user=fans[i], order_id=pending[i].id)

    results = run_together(len(fans) + 1, work)

    assert not [r for r in results if isinstance(r, Exception)
                and not isinstance(r, DomainError)], results
    if isinstance(results[-1], DomainError):  # waited too long for a paying fan's cart
        assert results[-1].code == "busy"
        match_cancel(match_id=match.id, actor=admin, reason="storm")  # the admin tries again
    assert not Ticket.objects.filter(match=match, status=TicketStatus.VALID).exists()
    for payment in Payment.objects.filter(status__in=[PaymentStatus.SUCCEEDED,
                                                      PaymentStatus.REFUNDED]):
        assert payment.status == PaymentStatus.REFUNDED, payment
        assert Refund.objects.filter(payment=payment).count() == 1, payment
