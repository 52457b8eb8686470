"""E8-F2: service fee and VAT, VAT-inclusive prices, rounded half-up to cents (payments.pricing).
Pure functions: no database."""

import dataclasses
import itertools
import random
from decimal import Decimal

import pytest

from payments.pricing import (
    VAT_RATES,
    LineAmounts,
    OrderAmounts,
    line_amounts,
    money,
    order_amounts,
)
from seating.models import Match, MatchType

D = Decimal
MONEY_FIELDS = [f.name for f in dataclasses.fields(OrderAmounts) if f.name.endswith("_amount")]


def order(match_type, fee_percent, *lines):
    return order_amounts(
        lines=[
            line_amounts(unit_price=D(price), quantity=quantity, discount_percent=D(discount))
            for price, quantity, discount in lines
        ],
        match_type=match_type,
        fee_percent=fee_percent,
    )


def assert_invoice_adds_up(amounts: OrderAmounts):
    for name in MONEY_FIELDS:
        value = getattr(amounts, name)
        assert isinstance(value, Decimal), name
        assert value.as_tuple().exponent == -2, f"{name}={value} is not in cents"
        assert value >= 0, f"{name}={value} is negative"
    assert sum(line.list_amount for line in amounts.lines) == amounts.list_amount
    assert sum(line.ticket_amount for line in amounts.lines) == amounts.ticket_amount
    assert sum(line.discount_amount for line in amounts.lines) == amounts.discount_amount
    assert amounts.list_amount - amounts.discount_amount == amounts.ticket_amount
    assert amounts.ticket_net_amount + amounts.ticket_vat_amount == amounts.ticket_amount
    assert amounts.fee_net_amount + amounts.fee_vat_amount == amounts.fee_amount
    assert amounts.ticket_vat_amount + amounts.fee_vat_amount == amounts.vat_amount
    assert amounts.ticket_amount + amounts.fee_amount == amounts.total_amount
    assert amounts.net_amount + amounts.vat_amount == amounts.total_amount
    assert (
        amounts.ticket_net_amount
        + amounts.ticket_vat_amount
        + amounts.fee_net_amount
        + amounts.fee_vat_amount
    ) == amounts.total_amount
    for line in amounts.lines:
        assert line.list_amount - line.discount_amount == line.ticket_amount
        assert line.unit_amount * line.quantity == line.ticket_amount
    # Each VAT is the exact VAT-inclusive share, off by at most half a cent.
    for gross, vat, rate in [
        (amounts.ticket_amount, amounts.ticket_vat_amount, amounts.ticket_vat_rate),
        (amounts.fee_amount, amounts.fee_vat_amount, amounts.fee_vat_rate),
    ]:
        assert abs(vat - gross * rate / (1 + rate)) <= D("0.005")


# --- money() ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(D("1.005"), "1.01", id="half-cent-rounds-up"),
        pytest.param(D("1.0049999"), "1.00", id="just-below-half-rounds-down"),
        pytest.param(D("2.675"), "2.68", id="the-classic-float-trap"),
        pytest.param(D("-1.005"), "-1.01", id="negative-half-rounds-away-from-zero"),
        pytest.param(D("10"), "10.00", id="decimal-without-cents"),
        pytest.param(7, "7.00", id="int"),
        pytest.param(D("0.004"), "0.00", id="under-half-a-cent-is-zero"),
    ],
)
def test_money_rounds_half_up_to_cents(value, expected):
    result = money(value)

    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(1.005, "float", id="float"),
        pytest.param(0.0, "float", id="float-zero"),
        pytest.param(True, "Decimal or an int", id="bool"),
        pytest.param("1.00", "Decimal or an int", id="str"),
        pytest.param(None, "Decimal or an int", id="none"),
    ],
)
def test_money_rejects_anything_but_decimal_or_int(value, message):
    with pytest.raises(TypeError, match=message):
        money(value)


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), D("-Infinity")], ids=str)
def test_money_rejects_non_finite_decimals(value):
    with pytest.raises(ValueError, match="finite"):
        money(value)


# --- the rules, case by case --------------------------------------------------------------------

# fmt: off
# Hand-computed. VAT is the share inside the gross amount: 5 % -> amount / 21, 25 % -> amount / 5.
CASES = [
    # id, match type, fee %, (price, quantity, discount %),
    #   ticket, discount, fee, ticket VAT, fee VAT, total
    ("home-1-ticket-fee-6", "HOME", "6.00", ("20.00", 1, "0"),
     "20.00", "0.00", "1.20", "0.95", "0.24", "21.20"),
    ("home-4-tickets-fee-6", "HOME", "6.00", ("35.00", 4, "0"),
     "140.00", "0.00", "8.40", "6.67", "1.68", "148.40"),
    ("away-2-tickets-fee-6-no-vat", "AWAY", "6.00", ("30.00", 2, "0"),
     "60.00", "0.00", "3.60", "0.00", "0.00", "63.60"),
    ("home-3-tickets-custom-fee-4.5", "HOME", "4.50", ("25.00", 3, "0"),
     "75.00", "0.00", "3.38", "3.57", "0.68", "78.38"),
    ("away-4-tickets-custom-fee-10", "AWAY", "10.00", ("12.50", 4, "0"),
     "50.00", "0.00", "5.00", "0.00", "0.00", "55.00"),
    ("away-custom-fee-0", "AWAY", "0", ("15.00", 1, "0"),
     "15.00", "0.00", "0.00", "0.00", "0.00", "15.00"),
    ("home-2-tickets-discount-50", "HOME", "6.00", ("40.00", 2, "50"),
     "40.00", "40.00", "2.40", "1.90", "0.48", "42.40"),
    ("home-4-tickets-discount-100-no-fee", "HOME", "6.00", ("40.00", 4, "100"),
     "0.00", "160.00", "0.00", "0.00", "0.00", "0.00"),
    ("away-3-tickets-discount-100-no-fee", "AWAY", "6.00", ("50.00", 3, "100"),
     "0.00", "150.00", "0.00", "0.00", "0.00", "0.00"),
    ("fee-on-1.485-rounds-up-not-to-even", "HOME", "6.00", ("24.75", 1, "0"),
     "24.75", "0.00", "1.49", "1.18", "0.30", "26.24"),
    ("discounted-unit-12.625-rounds-up", "HOME", "6.00", ("25.25", 1, "50"),
     "12.63", "12.62", "0.76", "0.60", "0.15", "13.39"),
    ("discount-rounded-per-ticket-not-per-line", "HOME", "6.00", ("25.25", 3, "50"),
     "37.89", "37.86", "2.27", "1.80", "0.45", "40.16"),
    ("one-cent-ticket-half-off-stays-one-cent", "AWAY", "6.00", ("0.01", 3, "50"),
     "0.03", "0.00", "0.00", "0.00", "0.00", "0.03"),
]
# fmt: on


@pytest.mark.parametrize(
    (
        "match_type",
        "fee_percent",
        "line",
        "ticket",
        "discount",
        "fee",
        "ticket_vat",
        "fee_vat",
        "total",
    ),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_it_computes_fee_and_vat(
    match_type, fee_percent, line, ticket, discount, fee, ticket_vat, fee_vat, total
):
    amounts = order(match_type, D(fee_percent), line)

    assert amounts.ticket_amount == D(ticket)
    assert amounts.discount_amount == D(discount)
    assert amounts.fee_amount == D(fee)
    assert amounts.ticket_vat_amount == D(ticket_vat)
    assert amounts.fee_vat_amount == D(fee_vat)
    assert amounts.total_amount == D(total)
    assert amounts.currency == "EUR"
    assert_invoice_adds_up(amounts)


def test_prices_include_vat_so_a_home_match_costs_the_same_as_an_away_one():
    home = order("HOME", D("6.00"), ("30.00", 2, "0"))
    away = order("AWAY", D("6.00"), ("30.00", 2, "0"))

    assert home.total_amount == away.total_amount == D("63.60")
    assert home.net_amount < away.net_amount == away.total_amount


def test_the_vat_rates_are_the_ones_in_the_issue():
    assert VAT_RATES["HOME"] == {"tickets": D("0.05"), "fee": D("0.25")}
    assert VAT_RATES["AWAY"] == {"tickets": D("0"), "fee": D("0")}
    assert set(VAT_RATES) == set(MatchType.values)


def test_it_takes_match_type_and_the_default_fee_from_the_match_model():
    default_fee = Match._meta.get_field("fee_percent").default

    amounts = order(MatchType.HOME, default_fee, ("20.00", 1, "0"))

    assert default_fee == D("6.00")
    assert amounts.fee_amount == D("1.20")
    assert amounts.match_type == "HOME"
    assert amounts.ticket_vat_rate == D("0.05")


def test_a_free_line_carries_no_fee_but_the_paid_line_beside_it_does():
    amounts = order("HOME", D("6.00"), ("40.00", 2, "100"), ("20.00", 1, "0"))

    assert amounts.ticket_amount == D("20.00")
    assert amounts.discount_amount == D("80.00")
    assert amounts.fee_amount == D("1.20")
    assert_invoice_adds_up(amounts)


# --- rounding once per order --------------------------------------------------------------------


def test_fee_and_vat_are_rounded_once_per_order_not_per_line():
    # Per line: fee 0.735 -> 0.74 and VAT 0.583 -> 0.58, four times: 2.96 and 2.32.
    # Per order (the seed's fee_amount = ticket_amount * fee %): 2.94 and 49.00 / 21 = 2.33.
    four_lines = order("HOME", D("6.00"), *[("12.25", 1, "0")] * 4)
    one_line = order("HOME", D("6.00"), ("12.25", 4, "0"))

    assert four_lines.fee_amount == one_line.fee_amount == D("2.94")
    assert four_lines.ticket_vat_amount == one_line.ticket_vat_amount == D("2.33")
    assert four_lines.total_amount == one_line.total_amount == D("51.94")
    assert_invoice_adds_up(four_lines)


def test_many_odd_lines_still_add_up_to_the_cent():
    lines = [
        ("33.33", 3, "33.33"),
        ("0.99", 4, "50"),
        ("19.99", 1, "12.5"),
        ("25.25", 2, "50"),
        ("7.77", 4, "0"),
        ("0.01", 1, "0"),
        ("149.99", 2, "100"),
    ]

    amounts = order("HOME", D("6.35"), *lines)

    # Tickets: 3 x 22.22 + 4 x 0.50 + 17.49 + 2 x 12.63 + 4 x 7.77 + 0.01 + 2 x 0.00.
    assert amounts.list_amount == D("505.51")
    assert amounts.ticket_amount == D("142.50")
    assert amounts.discount_amount == D("363.01")
    assert amounts.fee_amount == D("9.05")  # 142.50 * 6.35 % = 9.04875
    assert amounts.ticket_vat_amount == D("6.79")  # 142.50 / 21 = 6.7857...
    assert amounts.fee_vat_amount == D("1.81")  # 9.05 / 5
    assert amounts.total_amount == D("151.55")
    assert_invoice_adds_up(amounts)


PRICES = ["0.01", "0.99", "12.25", "25.25", "33.33", "199.99"]
DISCOUNTS = ["0", "33.33", "50", "99.99", "100"]


@pytest.mark.parametrize(
    ("match_type", "fee_percent"),
    [
        pytest.param(match_type, fee, id=f"{match_type.lower()}-fee-{fee}")
        for match_type, fee in itertools.product(["HOME", "AWAY"], ["0", "6.00", "4.5", "12.75"])
    ],
)
def test_invoice_parts_always_add_up(match_type, fee_percent):
    for price, quantity, discount in itertools.product(PRICES, range(1, 5), DISCOUNTS):
        assert_invoice_adds_up(order(match_type, D(fee_percent), (price, quantity, discount)))

    rng = random.Random(f"{match_type}-{fee_percent}")  # the same orders on every run
    for _ in range(200):
        lines = [
            (f"{rng.randint(0, 30000) / 100:.2f}", rng.randint(1, 4), rng.choice(DISCOUNTS))
            for _ in range(rng.randint(1, 12))
        ]
        assert_invoice_adds_up(order(match_type, D(fee_percent), *lines))


# --- lines --------------------------------------------------------------------------------------


def test_a_line_keeps_its_inputs_and_prices_every_ticket_the_same():
    line = line_amounts(unit_price=D("25.25"), quantity=3, discount_percent=D("50"))

    assert line == LineAmounts(
        unit_price=D("25.25"),
        quantity=3,
        discount_percent=D("50"),
        unit_amount=D("12.63"),
        list_amount=D("75.75"),
        discount_amount=D("37.86"),
        ticket_amount=D("37.89"),
    )


def test_the_discount_defaults_to_none():
    line = line_amounts(unit_price=D("20"), quantity=2)

    assert line.unit_price == D("20.00")
    assert line.discount_amount == D("0.00")
    assert line.ticket_amount == D("40.00")


def test_amounts_are_frozen():
    amounts = order("HOME", D("6.00"), ("20.00", 1, "0"))

    with pytest.raises(dataclasses.FrozenInstanceError):
        amounts.total_amount = D("0.00")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"unit_price": D("-0.01")}, ValueError, "negative", id="negative-price"),
        pytest.param({"unit_price": D("10.005")}, ValueError, "whole cents", id="sub-cent-price"),
        pytest.param({"unit_price": 10.0}, TypeError, "float", id="float-price"),
        pytest.param({"unit_price": "10.00"}, TypeError, "Decimal or an int", id="str-price"),
        pytest.param({"quantity": 0}, ValueError, "at least 1", id="quantity-0"),
        pytest.param({"quantity": -1}, ValueError, "at least 1", id="negative-quantity"),
        pytest.param({"quantity": 1.0}, TypeError, "int", id="float-quantity"),
        pytest.param({"quantity": D("2")}, TypeError, "int", id="decimal-quantity"),
        pytest.param({"quantity": True}, TypeError, "int", id="bool-quantity"),
        pytest.param(
            {"discount_percent": D("-1")}, ValueError, "between 0 and 100", id="negative-discount"
        ),
        pytest.param(
            {"discount_percent": D("100.01")},
            ValueError,
            "between 0 and 100",
            id="discount-over-100",
        ),
        pytest.param({"discount_percent": 0.5}, TypeError, "float", id="float-discount"),
    ],
)
def test_a_line_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        line_amounts(**{"unit_price": D("10.00"), "quantity": 1, **kwargs})


# --- orders -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"lines": []}, ValueError, "at least one line", id="no-lines"),
        pytest.param({"lines": [(D("10.00"), 1)]}, TypeError, "line_amounts", id="raw-tuple"),
        pytest.param({"match_type": "NEUTRAL"}, ValueError, "match_type", id="unknown-type"),
        pytest.param({"match_type": "home"}, ValueError, "match_type", id="lowercase-type"),
        pytest.param({"fee_percent": 6.0}, TypeError, "float", id="float-fee"),
        pytest.param({"fee_percent": "6.00"}, TypeError, "Decimal or an int", id="str-fee"),
        pytest.param(
            {"fee_percent": D("-0.01")}, ValueError, "between 0 and 100", id="negative-fee"
        ),
        pytest.param(
            {"fee_percent": D("100.01")}, ValueError, "between 0 and 100", id="fee-over-100"
        ),
    ],
)
def test_an_order_rejects_bad_input(kwargs, error, message):
    defaults = {
        "lines": [line_amounts(unit_price=D("10.00"), quantity=1)],
        "match_type": "HOME",
        "fee_percent": D("6.00"),
    }

    with pytest.raises(error, match=message):
        order_amounts(**{**defaults, **kwargs})
