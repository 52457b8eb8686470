"""A generated month of sales (card, quota on account, petrol), shared by the report tests."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from core.roles import Role
from quotas.petrol.models import PetrolSale, PetrolStation
from seating.models import ConfigStatus
from tests.payments.conftest import closed_port  # noqa: F401 (fixture)
from tests.quotas.conftest import complete_profile, numbered_match
from tests.quotas.petrol.conftest import holders, make_petrol_quota, make_staff
from tests.ticketing.aftersale.conftest import paid, supervisor  # noqa: F401 (fixtures)
from tests.ticketing.conftest import match, zone  # noqa: F401 (fixtures)
from tests.ticketing.invoicing.conftest import deferred_orders, no_eracuni  # noqa: F401
from tests.ticketing.test_checkout import buyer, buyer_profile, local_payments, valid_oib  # noqa: F401
from ticketing.aftersale.services.refunds import order_refund
from ticketing.invoicing.models import Debtor
from ticketing.invoicing.services.offers import offer_create, offer_mark_paid
from ticketing.models import Order

PETROL = "/api/petrol-portal"


@pytest.fixture
def finance(make_user, back_office):
    return back_office(make_user("finance@hns.hr", roles=[Role.FINANCE]))


def petrol_sales(login, make_user, methods: list[str]) -> list[Order]:
    petrol_match = numbered_match(stadium_config_status=ConfigStatus.VALIDATED)
    make_petrol_quota(petrol_match, quantity=8)
    station = PetrolStation.objects.create(code="ina-1", name="INA Zagreb")
    staff = make_staff(make_user, station)
    orders = []
    for n, method in enumerate(methods):
        fan = login(f"petrol{n}@example.com")
        complete_profile(fan.user, oib=valid_oib(500 + n))
        pin = fan.post(f"/api/petrol-sales/{petrol_match.pk}/generate-pin", {"holders": holders(2)},
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
def month(paid, deferred_orders, supervisor, login, make_user, no_eracuni,  # noqa: F811
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
