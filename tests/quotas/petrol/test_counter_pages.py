"""The /petrol/ pages: Petrol Staff only (their own login), a PIN looked up, identity checked,
a sale confirmed, a reservation cancelled; refusals shown on the page."""

import pytest

from core.roles import Role
from quotas.petrol.models import PetrolReservation, PetrolSale
from tests.quotas.petrol.conftest import pin_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(client, staff):
    client.force_login(staff.user)
    return client


def test_the_pages_ask_for_a_sign_in_and_the_petrol_staff_role(client, make_user, station):
    assert client.get("/petrol/").url.startswith("/petrol/login/")
    client.force_login(make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT]))
    assert client.get("/petrol/").status_code == 403
    client.force_login(make_user("new@ina.hr", roles=[Role.PETROL_STAFF]))
    page = client.get("/petrol/")
    assert page.status_code == 403 and b"not assigned" in page.content


def test_staff_sign_in_with_their_password(client, make_user, station):
    from quotas.petrol.models import PetrolStaffMember

    user = make_user("till@ina.hr", roles=[Role.PETROL_STAFF])
    PetrolStaffMember.objects.create(user=user, station=station)
    response = client.post("/petrol/login/", {"username": "till@ina.hr",
                                              "password": "pass-1234"})
    assert response.status_code == 302
    assert client.get("/petrol/").status_code == 200


def test_a_pin_to_a_sale(counter, fan, match, petrol_quota):
    pin = pin_of(fan, match, 2)["pin"]

    page = counter.post("/petrol/", {"pin": pin}, follow=True)
    assert b"Ana Horvat" in page.content and b"84.80 EUR" in page.content
    assert b'id="countdown"' in page.content and b"counter.js" in page.content
    reservation = PetrolReservation.objects.get()
    base = f"/petrol/reservations/{reservation.pk}"

    page = counter.post(f"{base}/confirm", {"payment_method": "CASH",
                                            "payment_reference": "R-1"}, follow=True)
    assert b"Check the fan&#x27;s identity document" in page.content
    counter.post(f"{base}/verify")
    page = counter.post(f"{base}/confirm", {"payment_method": "CASH", "payment_reference": ""},
                        follow=True)
    assert b"receipt or card slip number" in page.content
    page = counter.post(f"{base}/confirm", {"payment_method": "CASH",
                                            "payment_reference": "R-1"}, follow=True)
    assert b"Sale done" in page.content
    assert PetrolSale.objects.get().order.number.encode() in page.content


def test_a_wrong_pin_says_so(counter):
    page = counter.post("/petrol/", {"pin": "99999"})
    assert page.status_code == 404 and b"No live PIN" in page.content


def test_cancelling_at_the_counter(counter, fan, match, petrol_quota):
    pin = pin_of(fan, match, 1)["pin"]
    counter.post("/petrol/", {"pin": pin})
    reservation = PetrolReservation.objects.get()

    page = counter.post(f"/petrol/reservations/{reservation.pk}/cancel", {"reason": "left"},
                        follow=True)

    assert b"seats are back" in page.content
    reservation.refresh_from_db()
    assert reservation.status == "CANCELLED"


def test_petrol_staff_see_only_the_petrol_view(staff, client):
    for url in ("/api/admin/quotas", "/api/admin/petrol/quotas", "/api/admin/tickets/search",
                "/api/admin/blacklist"):
        assert staff.get(url).status_code == 403, url
    client.force_login(staff.user)
    assert client.get("/admin/").context["app_list"] == []  # nothing in Django Admin
