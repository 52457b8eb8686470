"""How much a refund gives back (E8-F3, E9-F8): one pure function over `Decimal`, no database.

- A fan cancelling (SELF_SERVICE) and a cancelled match (SYSTEM) give back each ticket's price
  and its share of the order's service fee; a support or admin refund (SUPPORT) gives back the
  price and keeps the fee share (`fee_retained`).
- An order's fee was rounded once, on its whole ticket amount (payments.pricing), so a ticket's
  share is the fee split over the order's tickets by price, in whole cents, the cents left by
  rounding down going to the largest remainders (ties: the earlier ticket). The shares of all
  tickets add up to the fee exactly, so refunding an order ticket by ticket, in any grouping,
  gives back exactly its total: no cent drifts.
- What was paid decides the means, not the amount: a free ticket (GR) has price and fee 0; a
  deferred one is "refunded" by reducing its debt (the caller's choice of channel)."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from payments.models import RefundSource
from payments.pricing import CENT, ZERO

KEEPS_FEE = {RefundSource.SUPPORT}


@dataclass(frozen=True)
class RefundQuote:
    amount: Decimal  # what goes back
    fee_retained: Decimal  # the fee share kept
    per_ticket: dict[int, Decimal]  # order item id -> what goes back for it


def fee_shares(prices: dict[int, Decimal], fee: Decimal) -> dict[int, Decimal]:
    """`fee` split over the order's items ({item id: unit price}) by price, in cents, summing to
    `fee` exactly."""
    total = sum(prices.values(), ZERO)
    if total <= ZERO:
        return dict.fromkeys(prices, ZERO)
    exact = {item: fee * price / total for item, price in prices.items()}
    shares = {item: value.quantize(CENT, rounding=ROUND_DOWN) for item, value in exact.items()}
    left = int((fee - sum(shares.values(), ZERO)) / CENT)
    by_remainder = sorted(prices, key=lambda item: (-(exact[item] - shares[item]), item))
    for item in by_remainder[:left]:
        shares[item] += CENT
    return shares


def refund_quote(*, prices: dict[int, Decimal], fee: Decimal, refunding: list[int],
                 source: str) -> RefundQuote:
    """What a refund of the items `refunding` of an order gives back. `prices`: every item of
    the order with its unit price; `fee`: the order's fee amount (VAT included)."""
    unknown = set(refunding) - set(prices)
    if unknown:
        raise ValueError(f"items {sorted(unknown)} are not in the order")
    shares = fee_shares(prices, fee)
    keeps_fee = source in KEEPS_FEE
    per_ticket = {item: prices[item] + (ZERO if keeps_fee else shares[item])
                  for item in refunding}
    retained = sum((shares[item] for item in refunding), ZERO) if keeps_fee else ZERO
    return RefundQuote(amount=sum(per_ticket.values(), ZERO), fee_retained=retained,
                       per_ticket=per_ticket)
