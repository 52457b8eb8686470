"""Debtors are kept in Django Admin (E8-F4), their OIB checked; offers and documents are shown
read-only, changed only by their actions."""

import pytest

from core.roles import Role
from tests.ticketing.test_checkout import valid_oib
from ticketing.invoicing.models import Debtor

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_admin(client, make_user):
    user = make_user("finance@hns.hr", roles=[Role.FINANCE])
    client.force_login(user)
    return client


def debtor_form(account, oib: str) -> dict:
    return {"account": account.pk, "name": "Sponzor d.o.o.", "oib": oib,
            "address": "Ilica 1, Zagreb", "email": "racuni@sponzor.hr",
            "payment_terms_days": 30}


def test_finance_adds_a_debtor_with_a_valid_oib(finance_admin, make_user):
    account = make_user("partner@sponzor.hr")

    response = finance_admin.post("/admin/invoicing/debtor/add/",
                                  debtor_form(account, valid_oib(99)))

    assert response.status_code == 302, response.content
    assert Debtor.objects.get().account == account


def test_an_oib_that_fails_its_check_digit_is_refused(finance_admin, make_user):
    account = make_user("partner@sponzor.hr")
    bad = valid_oib(99)[:-1] + str((int(valid_oib(99)[-1]) + 1) % 10)

    response = finance_admin.post("/admin/invoicing/debtor/add/", debtor_form(account, bad))

    assert response.status_code == 200
    assert "not a valid OIB" in response.content.decode()
    assert not Debtor.objects.exists()


@pytest.mark.parametrize("page", ["paymentoffer", "eracunidocument", "debtor"])
def test_the_invoicing_lists_open_for_finance(finance_admin, page):
    assert finance_admin.get(f"/admin/invoicing/{page}/").status_code == 200
