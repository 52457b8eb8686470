"""payments.pricing.promo_apply (US7): a promo code's discount before the fee and VAT, with
every ticket's unit amount exact and the parts adding up."""

from decimal import Decimal as D

import pytest

from payments.pricing import line_amounts, order_amounts, promo_apply


def lines(*specs):
    return [line_amounts(unit_price=D(price), quantity=quantity) for price, quantity in specs]


def test_a_percentage_code_discounts_the_lines_it_applies_to_before_the_fee():
    priced = promo_apply(lines(("40.00", 2), ("25.00", 1)), applies=[True, False],
                         kind="PERCENT", value=D(10))
    amounts = order_amounts(lines=[line for _, line in priced], match_type="HOME",
                            fee_percent=D(6))

    assert [(i, line.unit_amount, line.quantity) for i, line in priced] == [
        (0, D("36.00"), 2), (1, D("25.00"), 1)]
    assert amounts.promo_discount_amount == D("8.00")
    assert amounts.ticket_amount == D("97.00")
    assert amounts.fee_amount == D("5.82")  # 6 % of the discounted tickets
    assert amounts.total_amount == D("102.82")


def test_a_percentage_stacks_on_a_quota_discount():
    line = line_amounts(unit_price=D("40.00"), quantity=1, discount_percent=D(50))
    [(_, priced)] = promo_apply([line], applies=[True], kind="PERCENT", value=D(10))

    assert priced.unit_amount == D("18.00")
    assert priced.promo_discount == D("2.00")


def test_a_fixed_code_is_split_in_whole_cents_and_the_parts_add_up():
    priced = promo_apply(lines(("10.00", 3)), applies=[True], kind="FIXED", value=D("10.00"))

    units = [line.unit_amount for _, line in priced for _ in range(line.quantity)]
    assert sorted(units) == [D("6.66"), D("6.67"), D("6.67")]
    assert sum(units) == D("20.00")
    assert sum(line.quantity for _, line in priced) == 3
    assert all(line.ticket_amount == line.unit_amount * line.quantity for _, line in priced)
    assert sum(line.promo_discount for _, line in priced) == D("10.00")


def test_a_fixed_code_follows_the_prices_and_skips_lines_it_does_not_apply_to():
    priced = promo_apply(lines(("30.00", 1), ("10.00", 1), ("50.00", 1)),
                         applies=[True, True, False], kind="FIXED", value=D("4.00"))

    assert [(i, line.unit_amount) for i, line in priced] == [
        (0, D("27.00")), (1, D("9.00")), (2, D("50.00"))]


def test_a_fixed_code_never_takes_an_order_below_zero():
    priced = promo_apply(lines(("5.00", 2)), applies=[True], kind="FIXED", value=D("50.00"))
    amounts = order_amounts(lines=[line for _, line in priced], match_type="HOME",
                            fee_percent=D(6))

    assert [line.unit_amount for _, line in priced] == [D("0.00")]
    assert (amounts.ticket_amount, amounts.fee_amount, amounts.total_amount) == (
        D("0.00"), D("0.00"), D("0.00"))
    assert amounts.promo_discount_amount == D("10.00")


@pytest.mark.parametrize("value", [D("0.01"), D("1.00"), D("7.77"), D("33.33"), D("99.99")])
def test_every_fixed_split_is_exact_and_never_negative(value):
    base = lines(("12.34", 3), ("0.99", 2), ("40.00", 1))
    priced = promo_apply(base, applies=[True, True, True], kind="FIXED", value=value)

    total = sum(line.ticket_amount for line in base)
    assert sum(line.ticket_amount for _, line in priced) == total - min(value, total)
    assert all(line.unit_amount >= 0 for _, line in priced)
    for index, line in enumerate(base):
        assert sum(part.quantity for i, part in priced if i == index) == line.quantity


def test_bad_input_is_refused():
    with pytest.raises(TypeError):
        promo_apply(lines(("10.00", 1)), applies=[True], kind="FIXED", value=1.5)
    with pytest.raises(ValueError):
        promo_apply(lines(("10.00", 1)), applies=[True], kind="PERCENT", value=D(101))
    with pytest.raises(ValueError):
        promo_apply(lines(("10.00", 1)), applies=[True], kind="FIXED", value=D("1.001"))
    with pytest.raises(ValueError):
        promo_apply(lines(("10.00", 1)), applies=[], kind="FIXED", value=D(1))
