"""POST /api/admin/tickets/sector-transfer (E3-F6): tickets move to new seats in another
sector, an order's together, the old seats BLOCKED, holders told; all or nothing."""

import pytest

from core.models import EmailLog, PushLog
from core.roles import Role
from seating.models import SeatInventory, SeatStatus
from tests.assertions import assert_error
from tests.ticketing.test_cart import seated_zone
from ticketing.models import OrderItem, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/admin/tickets/sector-transfer"


@pytest.fixture
def manager(make_user, back_office):
    return back_office(make_user("matches@example.com", roles=[Role.MATCH_MANAGER]))


def move(client, capture, **body):
    with capture(execute=True):
        return client.post(URL, {"reason": "row 1 closed for repairs"} | body, format="json")


def test_an_orders_tickets_move_together_and_the_old_seats_are_blocked(
        paid, buyer, match, manager, django_capture_on_commit_callbacks):
    order = paid(2)
    _, destination = seated_zone(match, ("XXXXXX",), code="B1")
    tickets = list(order.tickets.order_by("pk"))
    old = [t.inventory_id for t in tickets]

    response = move(manager, django_capture_on_commit_callbacks,
                    ticket_ids=[t.pk for t in tickets], destination_sector_id=destination.pk)

    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["ticket_id"] for m in body] == [t.pk for t in tickets]
    new = SeatInventory.objects.filter(pk__in=[m["seat_id"] for m in body])
    assert {s.match_sector_id for s in new} == {destination.pk}
    assert {s.status for s in new} == {SeatStatus.SOLD}
    numbers = sorted(s.seat_number for s in new)
    assert numbers[1] - numbers[0] == 1 and len({s.row_label for s in new}) == 1  # together
    assert set(SeatInventory.objects.filter(pk__in=old).values_list("status", flat=True)) == {
        SeatStatus.BLOCKED}
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.inventory.match_sector_id == destination.pk
        assert OrderItem.objects.get(pk=ticket.order_item_id).match_sector_id == destination.pk
    assert EmailLog.objects.filter(template_key="seat_change").count() == 2
    assert PushLog.objects.filter(notification_type="seat_change", user=buyer.user).exists()


def test_seats_can_be_named_instead_of_tickets(
        paid, match, manager, django_capture_on_commit_callbacks):
    order = paid(1)
    _, destination = seated_zone(match, ("XX",), code="B1")
    ticket = order.tickets.get()

    response = move(manager, django_capture_on_commit_callbacks, seat_ids=[ticket.inventory_id],
                    destination_sector_id=destination.pk)

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.inventory.match_sector_id == destination.pk


def test_when_the_destination_is_too_small_nothing_moves(
        paid, match, manager, django_capture_on_commit_callbacks):
    first = paid(1)
    second = paid(2)
    _, destination = seated_zone(match, ("XX",), code="B1")  # room for one order, not both
    tickets = [*first.tickets.all(), *second.tickets.all()]
    before = {t.pk: t.inventory_id for t in tickets}

    response = move(manager, django_capture_on_commit_callbacks,
                    ticket_ids=list(before), destination_sector_id=destination.pk)

    assert_error(response, 409, "not_enough_seats")
    assert dict(Ticket.objects.values_list("pk", "inventory_id")) == before
    assert set(SeatInventory.objects.filter(pk__in=before.values())
               .values_list("status", flat=True)) == {SeatStatus.SOLD}
    assert set(SeatInventory.objects.filter(match_sector=destination)
               .values_list("status", flat=True)) == {SeatStatus.AVAILABLE}
    assert not EmailLog.objects.filter(template_key="seat_change").exists()


def test_bad_requests_name_the_field(paid, match, manager, buyer, zone):
    order = paid(1)
    ticket = order.tickets.get()
    sector = ticket.order_item.match_sector

    assert_error(manager.post(URL, {"ticket_ids": [ticket.pk], "destination_sector_id": 999999,
                                    "reason": "x"}, format="json"), 422, "invalid_destination")
    assert_error(manager.post(URL, {"ticket_ids": [ticket.pk], "reason": "x",
                                    "destination_sector_id": sector.pk}, format="json"),
                 422, "same_sector")
    assert_error(manager.post(URL, {"ticket_ids": [424242], "reason": "x",
                                    "destination_sector_id": sector.pk}, format="json"),
                 422, "ticket_not_found")
    assert buyer.post(URL, {"ticket_ids": [ticket.pk], "reason": "x",
                            "destination_sector_id": sector.pk}, format="json").status_code == 403
