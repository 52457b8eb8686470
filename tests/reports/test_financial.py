"""Financial reconciliation (E14-F3) on a generated month: card sales (some refunded), quota
orders on account (one partly refunded, two paid through an offer), petrol sales in cash and
by card (one ticket refunded). Sales - refunds must equal what the card payments kept + what
the petrol sales recorded (less credits) + what debtors owe or paid, for the month and for any
part of it."""

import io
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.roles import Role
from payments.models import Payment, Refund, RefundStatus
from quotas.petrol.models import PetrolSale, PetrolStation
from seating.models import ConfigStatus
from tests.quotas.conftest import complete_profile, numbered_match
from tests.quotas.petrol.conftest import holders, make_petrol_quota, make_staff
from tests.ticketing.test_checkout import valid_oib
from ticketing.aftersale.services.refunds import order_refund
from ticketing.invoicing.models import Debtor
from ticketing.invoicing.services.offers import offer_create, offer_mark_paid
from ticketing.models import Order

pytestmark = pytest.mark.django_db
URL = "/api/admin/reports/financial"
PETROL = "/api/petrol-portal"


@pytest.fixture
def finance(make_user, back_office):
    return back_office(make_user("finance@hns.hr", roles=[Role.FINANCE]))


def petrol_sales(login, make_user, methods: list[str]) -> list[Order]:
    match = numbered_match(stadium_config_status=ConfigStatus.VALIDATED)
    make_petrol_quota(match, quantity=8)
    station = PetrolStation.objects.create(code="ina-1", name="INA Zagreb")
    staff = make_staff(make_user, station)
    orders = []
    for n, method in enumerate(methods):
        fan = login(f"petrol{n}@example.com")
        complete_profile(fan.user, oib=valid_oib(500 + n))
        pin = fan.post(f"/api/petrol-sales/{match.pk}/generate-pin", {"holders": holders(2)},
                       format="json").json()["pin"]
        reservation = staff.get(f"{PETROL}/pins/{pin}").json()["reservation_id"]
        staff.post(f"{PETROL}/reservations/{reservation}/verify-identity")
        sold = staff.post(f"{PETROL}/pins/{pin}/confirm",
                          {"payment_method": method, "payment_reference": f"R-{n}"},
                          format="json")
        assert sold.status_code == 201, sold.content
        orders.append(PetrolSale.objects.get(reservation_id=reservation).order)
    return orders


def on_day(order: Order, day: int) -> None:
    when = datetime.combine(date(2026, 11, day), time(12), timezone.get_current_timezone())
    Order.objects.filter(pk=order.pk).update(paid_at=when if order.paid_at else None,
                                             ended_at=when)


@pytest.fixture
def month(paid, deferred_orders, supervisor, login, make_user, no_eracuni,
          django_capture_on_commit_callbacks):
    """Orders of November 2026, one every few days; returns them in date order."""
    capture = django_capture_on_commit_callbacks
    second = login("second.fan@example.com")  # a fan has 4 tickets of a match at most
    complete_profile(second.user, oib=valid_oib(77), first_name="Marko")
    card = [paid(1), paid(2), paid(1), paid(2, client=second), paid(1, client=second)]
    deferred = deferred_orders(3)
    petrol = petrol_sales(login, make_user, ["CASH", "CARD"])
    with capture(execute=True):
        order_refund(order_id=card[0].pk, ticket_ids=None, reason="ill", actor=supervisor.user)
        order_refund(order_id=card[1].pk, reason="one friend cannot come", actor=supervisor.user,
                     ticket_ids=[card[1].tickets.order_by("pk").first().pk])
        order_refund(order_id=deferred[0].pk, reason="sponsor guest cancelled",
                     ticket_ids=[deferred[0].tickets.order_by("pk").first().pk],
                     actor=supervisor.user)
        order_refund(order_id=petrol[1].pk, reason="fan cancelled at the station",
                     ticket_ids=[petrol[1].tickets.order_by("pk").first().pk],
                     actor=supervisor.user)
        debtor = Debtor.objects.create(account=deferred_orders.holder.user, name="Sponzor",
                                       oib=valid_oib(4242), address="Ilica 1",
                                       email="racuni@sponzor.hr")
        offer = offer_create(debtor_id=debtor.pk, order_ids=[deferred[1].pk, deferred[2].pk],
                             actor=supervisor.user)
        offer_mark_paid(offer_id=offer.pk, actor=supervisor.user)
    orders = card + deferred + petrol
    for n, order in enumerate(orders):
        on_day(order, 1 + 3 * n)  # the 1st, 4th, ... 28th
    return orders


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
