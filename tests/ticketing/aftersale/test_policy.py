"""How much a refund gives back (E8-F3, E9-F8): the one policy function, table-driven."""

from decimal import Decimal
from itertools import combinations

import pytest

from payments.models import RefundSource
from ticketing.aftersale.policy import fee_shares, refund_quote

D = Decimal


@pytest.mark.parametrize(("prices", "fee", "shares"), [
    ({1: D("40.00"), 2: D("40.00")}, D("4.80"), {1: D("2.40"), 2: D("2.40")}),
    # 1.00 over three equal tickets: 0.33 each and the cent left to the earliest
    ({1: D("10.00"), 2: D("10.00"), 3: D("10.00")}, D("1.00"),
     {1: D("0.34"), 2: D("0.33"), 3: D("0.33")}),
    # by price: 60/40 of 3.01 is 1.806 / 1.204 -> 1.80 / 1.20, the cent to the larger remainder
    ({1: D("60.00"), 2: D("40.00")}, D("3.01"), {1: D("1.81"), 2: D("1.20")}),
    ({1: D("0.00"), 2: D("25.00")}, D("1.50"), {1: D("0.00"), 2: D("1.50")}),  # a free ticket
    ({1: D("0.00")}, D("0.00"), {1: D("0.00")}),
])
def test_the_fee_is_split_by_price_in_whole_cents(prices, fee, shares):
    assert fee_shares(prices, fee) == shares
    assert sum(shares.values()) == fee


@pytest.mark.parametrize(("source", "refunding", "amount", "retained"), [
    # a fan cancelling gets the price and the fee share back (E9-F8)
    (RefundSource.SELF_SERVICE, [1], D("42.40"), D("0.00")),
    (RefundSource.SELF_SERVICE, [1, 2], D("84.80"), D("0.00")),
    # a cancelled match gives back everything, fee included (E2-F7)
    (RefundSource.SYSTEM, [1, 2], D("84.80"), D("0.00")),
    # a support or admin refund gives back the ticket amount and keeps the fee (E8-F3)
    (RefundSource.SUPPORT, [1], D("40.00"), D("2.40")),
    (RefundSource.SUPPORT, [1, 2], D("80.00"), D("4.80")),
])
def test_what_each_source_refunds(source, refunding, amount, retained):
    quote = refund_quote(prices={1: D("40.00"), 2: D("40.00")}, fee=D("4.80"),
                         refunding=refunding, source=source)

    assert (quote.amount, quote.fee_retained) == (amount, retained)
    assert sum(quote.per_ticket.values()) == amount


def test_refunding_an_order_ticket_by_ticket_in_any_grouping_never_drifts_a_cent():
    prices = {1: D("33.33"), 2: D("17.00"), 3: D("49.99"), 4: D("0.00"), 5: D("12.10")}
    fee = D("6.79")
    total = sum(prices.values()) + fee
    items = list(prices)
    for size in range(1, len(items)):
        for first in combinations(items, size):
            rest = [item for item in items if item not in first]
            parts = [refund_quote(prices=prices, fee=fee, refunding=list(part),
                                  source=RefundSource.SELF_SERVICE).amount
                     for part in (first, rest)]
            assert sum(parts) == total, first


def test_an_item_not_in_the_order_is_refused():
    with pytest.raises(ValueError, match=r"\[9\]"):
        refund_quote(prices={1: D("10.00")}, fee=D("0.60"), refunding=[9],
                     source=RefundSource.SUPPORT)
