"""E12-F1: POST /api/petrol-sales/<match_id>/generate-pin. The fan names the holders (checked
as at checkout), the Petrol quota must have the seats (promised ones counted), and gets a
5-digit PIN unique among live ones, which expires."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accessctl.models import BlacklistSource, BlacklistViolation
from accessctl.services.entries import blacklist_entry_create
from quotas.petrol.models import PetrolPin, PinStatus
from quotas.petrol.services.pins import pins_expire
from quotas.services.claims import holders_load
from tests.assertions import assert_error
from tests.quotas.petrol.conftest import holders, make_petrol_quota, pin_of

pytestmark = pytest.mark.django_db


def generate(fan, match, body):
    return fan.post(f"/api/petrol-sales/{match.pk}/generate-pin", body, format="json")


def test_a_pin_is_five_digits_with_its_holders_stored(fan, match, petrol_quota, settings):
    body = pin_of(fan, match, 2)

    assert len(body["pin"]) == 5 and body["pin"].isdigit()
    assert (body["quantity"], body["status"]) == (2, "ACTIVE")
    pin = PetrolPin.objects.get()
    assert (pin.user, pin.quota, pin.match) == (fan.user, petrol_quota, match)
    people = holders_load(pin.ticket_holders)
    assert [p["first_name"] for p in people] == ["Ana", "Guest1"]
    minutes = (pin.expires_at - pin.created_at).total_seconds() / 60
    assert abs(minutes - settings.PETROL_PIN_MINUTES) < 1
    mine = fan.get("/api/petrol-sales/pins").json()["results"]
    assert [p["pin"] for p in mine] == [body["pin"]]


def test_sold_out_is_a_clear_error_and_promised_seats_count(fan, login, match):
    make_petrol_quota(match, quantity=3)
    pin_of(fan, match, 2)
    other = login("other@example.com")
    from tests.quotas.conftest import complete_profile
    complete_profile(other.user, oib="12345678903")

    body = assert_error(generate(other, match, {"holders": holders(2)}), 409,
                        "petrol_sold_out")
    assert "Only 1 ticket(s) are left" in body["detail"]
    pin_of(other, match, 1)
    body = assert_error(generate(other, match, {"holders": holders(1)}), 409,
                        "petrol_sold_out")
    assert body["detail"] == "Sold out at petrol stations."


def test_an_expired_pin_gives_its_seats_back(fan, match):
    make_petrol_quota(match, quantity=2)
    pin_of(fan, match, 2)
    PetrolPin.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert pins_expire() == 1
    assert PetrolPin.objects.get().status == PinStatus.EXPIRED
    pin_of(fan, match, 2)


def test_holders_are_checked_as_at_checkout(fan, match, petrol_quota):
    bad = [{"use_my_profile": True}, {"first_name": "X", "last_name": "Y",
                                      "date_of_birth": "1990-01-01", "nationality": "HR",
                                      "oib": "12345678900"}]
    assert_error(generate(fan, match, {"holders": bad}), 422, "oib_invalid")
    assert_error(generate(fan, match, {"holders": []}), 400, "invalid")
    assert_error(generate(fan, match, {"holders": holders(5)}), 422, "invalid_quantity")
    assert not PetrolPin.objects.exists()


def test_a_blacklisted_holder_gets_no_pin_and_is_logged(fan, match, petrol_quota):
    blacklist_entry_create(oib="69435151530", first_name="Ana", last_name="Horvat",
                           reason="riot", source=BlacklistSource.MUP_COURT_BAN, actor=None)

    body = assert_error(generate(fan, match, {"holders": holders(1)}), 403, "blacklisted")

    assert "MUP" in body["detail"]
    assert BlacklistViolation.objects.get().action_type == "PETROL_PIN_ATTEMPT"
    assert not PetrolPin.objects.exists()


def test_four_tickets_per_match_counting_live_pins(fan, match, petrol_quota):
    pin_of(fan, match, 3)
    body = assert_error(generate(fan, match, {"holders": holders(2)}), 422,
                        "ticket_limit_reached")
    assert "already have 3" in body["detail"]


def test_no_petrol_quota_no_pin(fan, match):
    assert_error(generate(fan, match, {"holders": holders(1)}), 404, "petrol_sales_closed")


def test_pins_and_the_cart_share_the_four_tickets(fan):
    from seating.models import ConfigStatus
    from tests.ticketing.test_cart import add, on_sale_match, seated_zone
    from ticketing.services.cart import tickets_in_cart

    match = on_sale_match(stadium_config_status=ConfigStatus.VALIDATED)
    _, petrol_sector = seated_zone(match, code="P1")
    shop_zone, _ = seated_zone(match, code="S1")
    make_petrol_quota(match, quantity=6, sectors=[petrol_sector.pk])
    pin_of(fan, match, 3)

    refused = add(fan, match, shop_zone, 2)

    assert refused.json()["error"] == "ticket_limit_reached", refused.content
    assert add(fan, match, shop_zone, 1).status_code == 201
    assert tickets_in_cart(user=fan.user, match=match) == 1
    assert_error(generate(fan, match, {"holders": holders(1)}), 422, "ticket_limit_reached")


def test_the_petrol_partner_cannot_claim_the_quota_in_the_portal(login, match, petrol_quota):
    from tests.quotas.petrol.conftest import PARTNER

    partner = login(PARTNER)
    assert partner.get(f"/api/quota-portal/quotas/{petrol_quota.pk}").status_code == 404
    assert partner.get("/api/quota-portal/dashboard").json()["quotas"] == []
