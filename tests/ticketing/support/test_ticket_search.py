"""E10-F1: a support agent finds tickets by OIB (holder's or buyer's, through the hash), order
number, email or phone, in the API and in Django Admin; personal data is masked."""

import pytest
from django.urls import reverse

from core.roles import Role
from tests.assertions import assert_error
from tests.ticketing.test_checkout import BUYER_OIB, valid_oib

pytestmark = pytest.mark.django_db
URL = "/api/admin/tickets/search"
FRIEND_OIB = valid_oib(1234)


def found(agent, **params) -> list[dict]:
    response = agent.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_each_criterion_finds_the_tickets(agent, paid):
    order = paid(2)
    ids = sorted(order.tickets.values_list("pk", flat=True))

    assert sorted(t["ticket_id"] for t in found(agent, oib=BUYER_OIB)) == ids  # the buyer
    assert [t["holder_name"] for t in found(agent, oib=FRIEND_OIB)] == ["Friend1 Kovač"]
    assert sorted(t["ticket_id"] for t in found(agent, order_number=order.number.lower())) == ids
    assert len(found(agent, email=order.buyer.email.upper())) == 2
    assert len(found(agent, phone="+385 91 123 4567")) == 2
    assert found(agent, oib=valid_oib(999)) == []
    assert found(agent, oib=FRIEND_OIB, order_number="HNS-0000-000000") == []


def test_results_show_personal_data_masked(agent, paid):
    order = paid(2)
    row = next(t for t in found(agent, oib=FRIEND_OIB))
    assert row["holder_oib"] == "*******" + FRIEND_OIB[-4:]
    assert row["buyer_email"].startswith(order.buyer.email[0] + "***@")
    assert row["buyer_phone"].endswith("4567") and "+385" not in row["buyer_phone"]
    ticket = order.tickets.get(pk=row["ticket_id"])
    assert row["barcode"].endswith(ticket.barcode[-4:]) and ticket.barcode not in str(row)
    assert (row["order_number"], row["status"]) == (order.number, "VALID")


def test_a_search_needs_a_criterion_and_a_valid_oib(agent):
    assert_error(agent.get(URL), 422, "criteria_required")
    assert_error(agent.get(URL, {"oib": "12345678900"}), 422, "oib_invalid")


def test_fans_and_other_roles_cannot_search(buyer, make_user, back_office):
    assert buyer.get(URL, {"oib": BUYER_OIB}).status_code == 403
    quota_manager = back_office(make_user("q@example.com", roles=[Role.QUOTA_MANAGER]))
    assert quota_manager.get(URL, {"oib": BUYER_OIB}).status_code == 403


def test_django_admin_finds_tickets_by_oib_email_or_phone(client, agent, paid):
    order = paid(2)
    client.force_login(agent.user)
    url = reverse("admin:ticketing_ticket_changelist")

    for term, count in ((FRIEND_OIB, 1), (order.buyer.email, 2), ("+385911234567", 2),
                        (order.number, 2)):
        page = client.get(url, {"q": term})
        assert page.status_code == 200
        assert page.context["cl"].result_count == count, term
