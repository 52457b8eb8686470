"""Sales reports (E14-F1): the preview with its filters and totals, and the report types of
the same job: attendance per sector and quota usage per quota."""

from decimal import Decimal

import pytest

from core.roles import Role
from quotas.models import Quota
from quotas.petrol.models import PetrolSale
from tests.quotas.conftest import HOLDER_EMAIL, make_quota, numbered_match, seat_ids
from tests.quotas.test_claims import claimed_to_holders
from ticketing.models import OrderItem, OrderSource, Ticket, TicketStatus

pytestmark = pytest.mark.django_db
SALES = "/api/admin/reports/sales"
ATTENDANCE = "/api/admin/reports/attendance"
QUOTA_USAGE = "/api/admin/reports/quota-usage"
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def channel_of(item: OrderItem, petrol_orders: set[int]) -> str:
    if item.order_id in petrol_orders:
        return "PETROL"
    return "QUOTA" if item.order.source == OrderSource.QUOTA else "SHOP"


def expected_by_channel(items) -> dict[str, int]:
    petrol = set(PetrolSale.objects.values_list("order_id", flat=True))
    counts = {"SHOP": 0, "QUOTA": 0, "PETROL": 0}
    for item in items:
        counts[channel_of(item, petrol)] += 1
    return counts


def test_the_preview_lists_every_ticket_sold_with_its_channel_and_the_totals(finance, month):
    body = finance.get(SALES, NOVEMBER).json()

    items = list(OrderItem.objects.select_related("order").filter(order__in=month))
    assert body["row_count"] == len(items) == body["totals"]["tickets"]
    assert body["totals"]["orders"] == len(month)
    by_channel = {name: row["tickets"] for name, row in body["totals"]["by_channel"].items()}
    assert by_channel == expected_by_channel(items)
    assert all(by_channel.values())  # the month has all three channels
    assert sum(Decimal(row["gross"]) for row in body["totals"]["by_channel"].values()) == \
        Decimal(body["totals"]["gross"]) > 0
    first = body["rows"][0]
    assert set(first) == set(body["columns"])
    assert first["channel"] in ("SHOP", "QUOTA", "PETROL") and first["order"].startswith("HNS")


def test_each_filter_narrows_the_rows(finance, month):
    petrol_match = PetrolSale.objects.first().order.match_id
    some = OrderItem.objects.filter(order__in=month)

    by_match = finance.get(SALES, {"match_id": petrol_match}).json()
    assert by_match["row_count"] == some.filter(order__match_id=petrol_match).count()

    petrol = finance.get(SALES, {**NOVEMBER, "channel": "PETROL"}).json()
    assert petrol["row_count"] == 4 and {r["channel"] for r in petrol["rows"]} == {"PETROL"}

    item = some.select_related("match_sector", "price_category").first()
    by_sector = finance.get(SALES, {"sector": item.match_sector.code.lower()}).json()
    assert by_sector["row_count"] == some.filter(
        match_sector__code=item.match_sector.code).count()
    by_type = finance.get(SALES, {"ticket_type": item.price_category.name}).json()
    assert by_type["row_count"] == some.filter(
        price_category__name=item.price_category.name).count()

    # the 10th to the 20th: the 4th and 5th card orders and two deferred ones (see `month`)
    part = finance.get(SALES, {"date_from": "2026-11-10", "date_to": "2026-11-20"}).json()
    assert part["totals"]["orders"] == 4
    assert part["row_count"] == some.filter(order__in=month[3:7]).count()


def test_the_preview_stops_at_50_rows_and_counts_them_all(finance, month):
    item = OrderItem.objects.filter(order=month[0]).first()
    copies = []
    for n in range(60):
        item.pk, item.inventory_id, item.cart_item_id = None, None, None
        item.first_name = f"Copy{n}"
        copies.append(OrderItem(**{f.attname: getattr(item, f.attname)
                                   for f in OrderItem._meta.concrete_fields}))
    OrderItem.objects.bulk_create(copies)

    body = finance.get(SALES, NOVEMBER).json()

    assert len(body["rows"]) == body["preview_rows"] == 50
    assert body["row_count"] == OrderItem.objects.filter(order__in=month).count() > 60


def test_bad_filters_are_refused_naming_the_field(finance):
    backwards = finance.get(SALES, {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert backwards.status_code == 422 and "date_to" in backwards.json()["fields"]
    channel = finance.get(SALES, {"channel": "TELEPHONE"})
    assert channel.status_code == 400 and "channel" in channel.json()["fields"]
    assert finance.get(SALES, {"match_id": 999999}).status_code == 404
    assert finance.get(ATTENDANCE).status_code == 400  # match_id is required


def test_each_report_needs_its_role(make_user, back_office, fan, finance, match):
    matches = back_office(make_user("matches@hns.hr", roles=[Role.MATCH_MANAGER]))
    quotas = back_office(make_user("quotas@hns.hr", roles=[Role.QUOTA_MANAGER]))
    agent = back_office(make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT]))
    one = {"match_id": match.pk}
    assert matches.get(SALES).status_code == 200
    assert matches.get(ATTENDANCE, one).status_code == 200
    assert matches.get("/api/admin/reports/financial").status_code == 403
    assert matches.get(QUOTA_USAGE, one).status_code == 403
    assert quotas.get(QUOTA_USAGE, one).status_code == 200
    assert quotas.get(SALES).status_code == 403
    assert finance.get(QUOTA_USAGE, one).status_code == 200
    assert agent.get(SALES).status_code == 403
    assert fan.get(SALES).status_code == 403


def test_attendance_counts_sold_attended_and_no_shows_per_sector(finance, paid):
    orders = [paid(2), paid(1)]
    tickets = list(Ticket.objects.filter(order__in=orders).order_by("pk"))
    Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[2].pk]).update(
        status=TicketStatus.ATTENDED)
    Ticket.objects.filter(pk=tickets[1].pk).update(status=TicketStatus.REFUNDED)  # not sold

    body = finance.get(ATTENDANCE, {"match_id": orders[0].match_id}).json()

    sector = tickets[0].order_item.match_sector.code
    row = next(r for r in body["rows"] if r["sector"] == sector)
    assert (row["sold"], row["attended"], row["no_shows"]) == (2, 2, 0)
    assert body["totals"] == {"sold": 2, "attended": 2, "no_shows": 0,
                              "attendance_percent": "100.0"}
    assert {r["sector"] for r in body["rows"]} >= {sector}  # every sector, sold or not
    assert all(r["sold"] == 0 for r in body["rows"] if r["sector"] != sector)


def test_quota_usage_counts_allocated_claimed_delegated_and_sold(finance, login):
    from quotas.services.subquotas import subquota_create

    holder = login(HOLDER_EMAIL)
    match = numbered_match()
    root = make_quota(match, quantity=5, can_create_subquotas=True)
    claimed_to_holders(holder, root, 2)
    sub = subquota_create(user=holder.user, quota_id=root.pk, recipient_email="guest@firma.hr",
                          seat_ids=seat_ids(root)[3:])
    other = make_quota(match, quantity=2, email="other@firma.hr", sectors=("B",))

    body = finance.get(QUOTA_USAGE, {"match_id": match.pk}).json()

    rows = {r["quota_id"]: r for r in body["rows"]}
    assert {k: rows[root.pk][k] for k in ("allocated", "claimed", "delegated", "sold")} == {
        "allocated": 5, "claimed": 2, "delegated": 2, "sold": 0}
    assert rows[sub.pk]["parent_id"] == root.pk
    assert (rows[sub.pk]["allocated"], rows[sub.pk]["delegated"]) == (2, 0)
    assert rows[other.pk]["allocated"] == 2 and rows[other.pk]["holder"] == ""
    assert body["totals"] == {"quotas": 2, "allocated": 7, "claimed": 2, "delegated": 2,
                              "sold": 0}
    assert Quota.objects.filter(match=match).count() == body["row_count"] == 3
