"""Service fee and VAT (E8-F2, E4-F7): the one module that turns ticket prices into the amounts an
order, a payment and an invoice show. Pure functions over `Decimal`, EUR; no database access, so
the cart, checkout, petrol sales, quotas and refunds all get the same cents.

The rules (E8-F2): the service fee is a percentage of the ticket amount, 6 % by default and set
per match (`Match.fee_percent`); VAT depends on the match type: HOME 5 % on tickets and 25 % on
the fee, AWAY 0 % on both.

Decisions, and why:

- **Prices are VAT-inclusive (gross).** Croatian consumer prices are quoted with VAT included,
  and the seed's "ticket_amount = quantity * unit_price" is the amount the fan pays. So
  `PriceCategory.price` is what the fan sees, the ticket VAT is the part contained in it
  (amount * rate / (1 + rate)), and a HOME match never costs more than its AWAY twin.
  The fee is gross too: the fan pays tickets + fee, and the fee's 25 % VAT is inside the fee.
- **The fee is charged on the ticket amount after discount** ("fee_amount = ticket_amount *
  fee_percentage"), so a free ticket (100 % quota discount) carries no fee either.
- **Rounding: half-up to cents, in exactly four places**, and everything else is exact sums and
  differences of cent amounts, so the parts of an invoice always add up to the total:
  1. the discounted unit price, per ticket (every ticket of a line costs the same cents, and a
     one-ticket refund is exactly that price; this matches `ticketing.selectors.catalog`'s display);
  2. the fee, once per order, on the order's ticket amount (per-line fees would drift from the
     seed's formula by a cent per line);
  3. and 4. the ticket VAT and the fee VAT, once per order for each rate (the invoice's VAT
     recapitulation per rate), and each net amount is gross minus its VAT.
  Half-up means a half cent goes away from zero (ROUND_HALF_UP), never to even: 1.485 -> 1.49.
- **A promo code (US7) discounts tickets before the fee and VAT** (`promo_apply`). A percentage
  code is one more discount percent on the lines it applies to (after a quota discount:
  100 - (100 - quota) * (100 - promo) / 100), so it is rounding 1. A fixed code is capped at the
  applicable ticket amount (never below zero) and split over the applicable tickets in whole
  cents in proportion to their prices - integer arithmetic, no rounding - so a line whose
  tickets get different cents becomes sub-lines of equal unit amounts, and every ticket's
  `unit_amount` stays what a one-ticket refund gives back.
- **A package's price is split over its seats** in whole cents (`package_shares`), so its
  tickets are ordinary order lines from then on: a promo code, the fee and VAT treat them like
  any ticket.
- **Floats are refused** (TypeError) everywhere: 0.1 + 0.2 is not money.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "EUR"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

# VAT by match type, as fractions; "tickets" applies to ticket prices, "fee" to the service fee.
VAT_RATES: dict[str, dict[str, Decimal]] = {
    "HOME": {"tickets": Decimal("0.05"), "fee": Decimal("0.25")},
    "AWAY": {"tickets": Decimal("0.00"), "fee": Decimal("0.00")},
}


def money(value: Decimal | int) -> Decimal:
    """`value` rounded half-up to cents. Takes a Decimal or an int; a float (or a bool or a str)
    is a TypeError, so binary floating point never becomes money."""
    return _decimal(value, "value").quantize(CENT, rounding=ROUND_HALF_UP)


def vat_included(amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a VAT-inclusive `amount` at `rate` (a fraction: 0.25 for 25 %)."""
    return money(_decimal(amount, "amount") * rate / (1 + rate))


@dataclass(frozen=True)
class LineAmounts:
    """One line of an order: `quantity` tickets at `unit_price`, less `discount_percent`.
    All amounts include VAT; list_amount - discount_amount == ticket_amount exactly."""

    unit_price: Decimal  # the category price, before discount
    quantity: int
    discount_percent: Decimal
    unit_amount: Decimal  # what one ticket of this line costs after discount
    list_amount: Decimal  # unit_price * quantity
    discount_amount: Decimal
    ticket_amount: Decimal  # unit_amount * quantity
    promo_discount: Decimal = ZERO  # the part of discount_amount a promo code took


@dataclass(frozen=True)
class OrderAmounts:
    """An order's amounts, named after the orders table (ticket_amount, ticket_vat_amount,
    fee_amount, fee_vat_amount, total_amount). Always, to the cent:

        list_amount - discount_amount == ticket_amount
        ticket_net_amount + ticket_vat_amount == ticket_amount
        fee_net_amount + fee_vat_amount == fee_amount
        ticket_amount + fee_amount == total_amount
        net_amount + vat_amount == total_amount
    """

    lines: tuple[LineAmounts, ...]
    match_type: str
    fee_percent: Decimal
    ticket_vat_rate: Decimal
    fee_vat_rate: Decimal
    list_amount: Decimal
    discount_amount: Decimal
    ticket_amount: Decimal
    ticket_vat_amount: Decimal
    ticket_net_amount: Decimal
    fee_amount: Decimal
    fee_vat_amount: Decimal
    fee_net_amount: Decimal
    vat_amount: Decimal
    net_amount: Decimal
    total_amount: Decimal
    currency: str = CURRENCY
    promo_discount_amount: Decimal = ZERO  # part of discount_amount


def line_amounts(
    *, unit_price: Decimal, quantity: int, discount_percent: Decimal | int = 0
) -> LineAmounts:
    """The amounts of `quantity` tickets at `unit_price` (VAT-inclusive, in whole cents) with a
    `discount_percent` from 0 to 100 (a quota discount; 100 means free)."""
    unit_price = _decimal(unit_price, "unit_price")
    if unit_price < 0:
        raise ValueError(f"unit_price must not be negative, got {unit_price}")
    if unit_price != money(unit_price):
        raise ValueError(f"unit_price must be in whole cents, got {unit_price}")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"quantity must be an int, got {type(quantity).__name__}")
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    discount_percent = _percent(discount_percent, "discount_percent")

    unit_price = money(unit_price)
    unit_amount = money(unit_price * (HUNDRED - discount_percent) / HUNDRED)
    list_amount = unit_price * quantity
    ticket_amount = unit_amount * quantity
    return LineAmounts(
        unit_price=unit_price,
        quantity=quantity,
        discount_percent=discount_percent,
        unit_amount=unit_amount,
        list_amount=list_amount,
        discount_amount=list_amount - ticket_amount,
        ticket_amount=ticket_amount,
    )


def order_amounts(
    *, lines: Iterable[LineAmounts], match_type: str, fee_percent: Decimal | int
) -> OrderAmounts:
    """The amounts of an order of `lines` (from `line_amounts`) for a match of `match_type`
    ("HOME"/"AWAY", or `MatchType`) with the match's `fee_percent` (0 to 100)."""
    lines = tuple(lines)
    if not lines:
        raise ValueError("an order needs at least one line")
    for line in lines:
        if not isinstance(line, LineAmounts):
            raise TypeError(f"lines must come from line_amounts(), got {type(line).__name__}")
    if match_type not in VAT_RATES:
        raise ValueError(f"match_type must be one of {sorted(VAT_RATES)}, got {match_type!r}")
    fee_percent = _percent(fee_percent, "fee_percent")
    rates = VAT_RATES[str(match_type)]

    list_amount = sum((line.list_amount for line in lines), ZERO)
    ticket_amount = sum((line.ticket_amount for line in lines), ZERO)
    fee_amount = money(ticket_amount * fee_percent / HUNDRED)
    ticket_vat_amount = vat_included(ticket_amount, rates["tickets"])
    fee_vat_amount = vat_included(fee_amount, rates["fee"])
    total_amount = ticket_amount + fee_amount
    vat_amount = ticket_vat_amount + fee_vat_amount
    return OrderAmounts(
        lines=lines,
        match_type=str(match_type),
        fee_percent=fee_percent,
        ticket_vat_rate=rates["tickets"],
        fee_vat_rate=rates["fee"],
        list_amount=list_amount,
        discount_amount=list_amount - ticket_amount,
        ticket_amount=ticket_amount,
        ticket_vat_amount=ticket_vat_amount,
        ticket_net_amount=ticket_amount - ticket_vat_amount,
        fee_amount=fee_amount,
        fee_vat_amount=fee_vat_amount,
        fee_net_amount=fee_amount - fee_vat_amount,
        vat_amount=vat_amount,
        net_amount=total_amount - vat_amount,
        total_amount=total_amount,
        promo_discount_amount=sum((line.promo_discount for line in lines), ZERO),
    )


PROMO_PERCENT, PROMO_FIXED = "PERCENT", "FIXED"


def promo_apply(lines: Sequence[LineAmounts], *, applies: Sequence[bool], kind: str,
                value: Decimal | int) -> list[tuple[int, LineAmounts]]:
    """The order's lines with a promo code's discount on those `applies` marks: a list of
    (index of the line in `lines`, line), in order, where a FIXED code may have split a line
    into sub-lines (their quantities add up to the line's). `kind` is "PERCENT" (`value` 1 to
    100) or "FIXED" (`value` EUR in whole cents, capped at the applicable ticket amount)."""
    lines = tuple(lines)
    if len(applies) != len(lines):
        raise ValueError("applies needs one flag per line")
    value = _decimal(value, "value")
    if kind == PROMO_PERCENT:
        percent = _percent(value, "value")
        return [(index, _percent_line(line, percent) if applies[index] else line)
                for index, line in enumerate(lines)]
    if kind != PROMO_FIXED:
        raise ValueError(f"kind must be {PROMO_PERCENT} or {PROMO_FIXED}, got {kind!r}")
    if value < 0 or value != money(value):
        raise ValueError(f"a fixed discount must be whole cents, not negative, got {value}")
    return _fixed_lines(lines, applies, value)


def _percent_line(line: LineAmounts, percent: Decimal) -> LineAmounts:
    combined = HUNDRED - (HUNDRED - line.discount_percent) * (HUNDRED - percent) / HUNDRED
    new = line_amounts(unit_price=line.unit_price, quantity=line.quantity,
                       discount_percent=combined)
    return replace(new, promo_discount=line.ticket_amount - new.ticket_amount)


def _fixed_lines(lines: tuple[LineAmounts, ...], applies: Sequence[bool],
                 value: Decimal) -> list[tuple[int, LineAmounts]]:
    cents = [int(line.unit_amount * 100) for line in lines]
    tickets = [(index, n) for index, line in enumerate(lines) if applies[index]
               for n in range(line.quantity)]
    total = sum(cents[index] for index, _ in tickets)
    discount = min(int(value * 100), total)
    shares = {}
    if total:
        # Largest remainder: floor shares, then a cent each to the largest fractions; a ticket
        # with a fraction is below its own price, so the extra cent never takes it below zero.
        exact = {ticket: discount * cents[ticket[0]] for ticket in tickets}
        shares = {ticket: part // total for ticket, part in exact.items()}
        left = discount - sum(shares.values())
        for ticket in sorted(tickets, key=lambda t: (-(exact[t] % total), t))[:left]:
            shares[ticket] += 1
    result = []
    for index, line in enumerate(lines):
        if not applies[index]:
            result.append((index, line))
            continue
        by_share: dict[int, int] = {}
        for n in range(line.quantity):
            by_share[shares.get((index, n), 0)] = by_share.get(shares.get((index, n), 0), 0) + 1
        for share, quantity in sorted(by_share.items(), reverse=True):
            unit_amount = line.unit_amount - Decimal(share) / HUNDRED
            list_amount = line.unit_price * quantity
            result.append((index, LineAmounts(
                unit_price=line.unit_price, quantity=quantity,
                discount_percent=line.discount_percent, unit_amount=unit_amount,
                list_amount=list_amount, discount_amount=list_amount - unit_amount * quantity,
                ticket_amount=unit_amount * quantity,
                promo_discount=money(Decimal(share * quantity) / HUNDRED))))
    return result


def package_shares(*, price: Decimal, seats: int) -> list[tuple[Decimal, int]]:
    """A package's price split over its `seats` tickets in whole cents: (unit price, how many
    tickets) pairs, the dearer share first, adding up exactly to `price` (100.00 over 3 seats is
    33.34 once and 33.33 twice), so each ticket's price is what a one-ticket refund gives back."""
    price = money(_decimal(price, "price"))
    if price < 0:
        raise ValueError(f"price must not be negative, got {price}")
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ValueError(f"seats must be an int of at least 1, got {seats!r}")
    base, extra = divmod(int(price * 100), seats)
    shares = [(Decimal(base + 1) / HUNDRED, extra), (Decimal(base) / HUNDRED, seats - extra)]
    return [(money(unit), count) for unit, count in shares if count]


def _decimal(value: Decimal | int, name: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(
            f"{name} is a float ({value!r}); money must be a Decimal, e.g. Decimal({str(value)!r})"
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal or an int, got {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def _percent(value: Decimal | int, name: str) -> Decimal:
    value = _decimal(value, name)
    if not 0 <= value <= HUNDRED:
        raise ValueError(f"{name} must be between 0 and 100, got {value}")
    return value
