"""Financial reconciliation (E14-F3) on a generated month: card sales (some refunded), quota
orders on account (one partly refunded, two paid through an offer), petrol sales in cash and
by card (one ticket refunded). Sales - refunds must equal what the card payments kept + what
the petrol sales recorded (less credits) + what debtors owe or paid, for the month and for any
part of it."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.roles import Role
from payments.models import Payment, Refund, RefundStatus
from ticketing.models import Order

pytestmark = pytest.mark.django_db
URL = "/api/admin/reports/financial"


def money(value: str) -> Decimal:
    return Decimal(value)


def test_a_month_of_sales_reconciles(finance, month):
    body = finance.get(URL, {"date_from": "2026-11-01", "date_to": "2026-11-30"}).json()

    methods = {row["method"]: row for row in body["by_method"]}
    assert {m: row["orders"] for m, row in methods.items()} == {
        "CARD": 5, "DEFERRED": 3, "PETROL_CASH": 1, "PETROL_CARD": 1, "FREE": 0}
    sales = sum((o.total_amount for o in Order.objects.all()), Decimal("0"))
    refunds = sum((r.amount for r in Refund.objects.filter(status=RefundStatus.COMPLETED)),
                  Decimal("0"))
    assert money(body["total"]["sales"]) == sales
    assert money(body["total"]["refunds"]) == refunds > 0
    assert money(body["total"]["net"]) == sales - refunds
    card = sum((p.amount - p.refunded_amount for p in Payment.objects.filter(
        status__in=["SUCCEEDED", "PARTIALLY_REFUNDED", "REFUNDED"])), Decimal("0"))
    assert money(body["kept"]["card"]) == card
    assert money(body["kept"]["deferred_paid"]) == sum(
        (o.debt.owed_amount for o in month[6:8]), Decimal("0"))
    assert body["reconciles"] is True and money(body["difference"]) == 0
    paid = month[6].debt.amount + month[7].debt.amount
    assert body["payment_offers"] == {"PAID": {"count": 1, "amount": str(paid)}}
    parts = sum(money(row[name]) for row in body["by_method"]
                for name in ("ticket_amount", "fee_amount"))
    assert parts == sales  # tickets and fees make the sales, VAT inside each
    assert body["eracuni_documents"]["INVOICE"]["DRAFT"] == 5 + 1  # 5 card orders, the offer


def test_tables_that_disagree_are_shown_by_how_much(finance, month):
    payment = month[0].payment  # as if Stripe had given back a euro more than we recorded
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=payment.refunded_amount + 1)

    body = finance.get(URL, {"date_from": "2026-11-01", "date_to": "2026-11-30"}).json()

    assert body["reconciles"] is False and money(body["difference"]) == Decimal("1.00")


def test_any_part_of_the_month_reconciles_on_its_own(finance, month):
    body = finance.get(URL, {"date_from": "2026-11-10", "date_to": "2026-11-20"}).json()

    # the 10th, 13th, 16th and 19th: the 4th and 5th card orders and two deferred ones
    assert body["total"]["orders"] == 4
    assert body["reconciles"] is True


def test_one_match_at_a_time(finance, month):
    match_id = month[0].match_id
    body = finance.get(URL, {"date_from": "2026-11-01", "date_to": "2026-11-30",
                             "match_id": match_id}).json()
    assert body["total"]["orders"] == 5 and body["reconciles"] is True


def test_the_xlsx_says_the_same(finance, month):
    response = finance.get(f"{URL}/xlsx", {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = {row[0]: row for row in book["By method"].iter_rows(min_row=2, values_only=True)}
    body = finance.get(URL, {"date_from": "2026-11-01", "date_to": "2026-11-30"}).json()
    assert Decimal(str(rows["TOTAL"][3])) == money(body["total"]["sales"])
    kept = dict(book["Where it is"].iter_rows(min_row=2, values_only=True))
    assert Decimal(str(kept["difference"])) == 0


def test_the_admin_page_shows_it(finance, month, client):
    client.force_login(finance.user)
    page = client.get("/admin/reports/financial/", {"date_from": "2026-11-01",
                                                     "date_to": "2026-11-30"})
    assert page.status_code == 200
    assert "The sums reconcile." in page.content.decode()


def test_a_backwards_range_is_refused_naming_the_field(finance):
    response = finance.get(URL, {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert response.status_code == 422 and "date_to" in response.json()["fields"]


def test_only_finance_reads_it(make_user, back_office, fan):
    agent = back_office(make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT]))
    assert agent.get(URL).status_code == 403
    assert fan.get(URL).status_code == 403
