"""E12-F2/F3 in Chromium: petrol staff sign in at /petrol/, look up a fan's PIN, see the
countdown and its 5-minute and 1-minute warnings, check identity and confirm a cash sale; the
fan's ticket then comes through the API."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quotas.petrol.models import PetrolReservation
from tests.quotas.conftest import _quota_env  # noqa: F401 (autouse fixture)
from tests.quotas.petrol.conftest import (  # noqa: F401 (fixtures)
    fan,
    make_staff,
    match,
    petrol_quota,
    pin_of,
    station,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def held_for(seconds: int) -> None:
    PetrolReservation.objects.update(expires_at=timezone.now() + timedelta(seconds=seconds))


def test_staff_sell_a_pin_for_cash_and_the_fan_gets_the_ticket(
        page, live_server, make_user, station, fan, match, petrol_quota):  # noqa: F811
    make_staff(make_user, station, email="till@ina.hr")
    pin = pin_of(fan, match, 1)["pin"]

    page.goto(f"{live_server.url}/petrol/")
    page.fill("#id_username", "till@ina.hr")
    page.fill("#id_password", "pass-1234")
    page.click("#sign-in")
    page.fill("#pin", pin)
    page.click("#lookup")

    expect(page.locator("#countdown")).to_contain_text("Seats held for 19:")
    expect(page.locator("#countdown-warning")).to_be_hidden()
    held_for(290)
    page.reload()
    expect(page.locator("#countdown-warning")).to_have_text("5 minutes left.")
    held_for(55)
    page.reload()
    expect(page.locator("#countdown-warning")).to_contain_text("1 minute left")

    page.click("#verify")
    page.check("input[name=payment_method][value=CASH]")
    page.fill("#payment_reference", "R-2024")
    page.click("#confirm")
    expect(page.locator("#sale-done")).to_be_visible()

    order_id = PetrolReservation.objects.get().sale.order_id
    tickets = fan.get(f"/api/orders/{order_id}").json()["tickets"]
    assert len(tickets) == 1 and tickets[0]["holder_name"] == "Ana Horvat"


def test_when_time_is_up_the_counter_says_so_and_cannot_confirm(
        page, live_server, make_user, station, fan, match, petrol_quota):  # noqa: F811
    staff = make_staff(make_user, station, email="till@ina.hr")
    pin = pin_of(fan, match, 1)["pin"]
    staff_session = staff.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": staff_session,
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/petrol/")
    page.fill("#pin", pin)
    page.click("#lookup")
    held_for(-1)  # the hold ran out while the page was away (the server still lists it)
    page.reload()

    expect(page.locator("#countdown-warning")).to_contain_text("Time is up")
    expect(page.locator("#verify")).to_be_disabled()
