"""E11-F4 under contention, on PostgreSQL with threads: a blacklist import racing payments
for orders naming that OIB. Each payment either completes before the import (and its ticket
is cancelled when the admin confirms) or after it (refunded, no ticket): never a valid
ticket for a blacklisted OIB once the admin has confirmed."""

import pytest

from accessctl.services.imports import blacklist_import
from core.pii import keyed_hash
from core.roles import Role
from tests.accessctl.test_blacklist_import import spreadsheet_csv
from tests.concurrency import run_together
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import adult, buyer_profile, valid_oib
from ticketing.aftersale.services.bans import blacklist_tickets_cancel
from ticketing.models import Order, OrderStatus, Ticket, TicketStatus
from ticketing.services.cart import cart_add
from ticketing.services.checkout import checkout_submit, order_pay_local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BANNED = valid_oib(4444)
BUYERS = 8


@pytest.fixture(autouse=True)
def local_payments(settings):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


def test_an_import_racing_payments_leaves_no_valid_ticket_for_the_banned_oib(
        make_user, email_templates):
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 3)
    orders = []
    for n in range(BUYERS):
        user = make_user(f"fan{n}@example.com")
        buyer_profile(user, oib=valid_oib(7000 + n))
        cart = cart_add(user=user, match_id=match.id, zone_id=zone.id, quantity=2).cart
        orders.append(checkout_submit(user=user, cart_id=cart.id,
                                      holders=[{}, adult(oib=BANNED)]).order)
    officer = make_user("officer@example.com", roles=[Role.SUPERVISOR])
    content = spreadsheet_csv(["oib;first_name;last_name", f"{BANNED};Ivan;Kovač"])

    def act(i):
        if i == BUYERS:
            return blacklist_import(actor=officer, file_name="mup.csv", content=content)
        return order_pay_local(user=orders[i].buyer, order_id=orders[i].pk)

    results = run_together(BUYERS + 1, act)
    assert not [r for r in results if isinstance(r, Exception)], results

    blacklist_tickets_cancel(entries=results[BUYERS].entries, actor=officer)

    banned_hash = keyed_hash(BANNED)
    assert not Ticket.objects.filter(status=TicketStatus.VALID,
                                     order_item__oib_hash=banned_hash).exists()
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        assert order.status in (OrderStatus.COMPLETED, OrderStatus.EXPIRED)
        if order.status == OrderStatus.COMPLETED:  # paid first: the buyer's own ticket stays
            assert order.tickets.filter(status=TicketStatus.VALID).count() == 1
