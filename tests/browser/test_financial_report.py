"""E14-F3 in Chromium: Finance opens the reconciliation page in Django Admin, picks the
period, sees the sales by method reconcile, and downloads the XLSX."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.roles import Role
from tests.ticketing.aftersale.test_after_sale_concurrency import (  # noqa: F401 (fixtures)
    bought,
    local_payments,
    shop,
)
from tests.ticketing.test_checkout import buyer_profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_sees_the_month_reconcile_and_downloads_it(
        make_user, admin_login, live_server, shop):  # noqa: F811
    make_user("finance@hns.example", roles=[Role.FINANCE])
    buyer = make_user("fan@hns.example")
    buyer_profile(buyer)
    order = bought(buyer, shop, 2)
    today = timezone.localdate()
    page = admin_login("finance@hns.example")

    page.goto(f"{live_server.url}/admin/reports/financial/")
    page.fill("input[name=date_from]", today.replace(day=1).isoformat())
    page.fill("input[name=date_to]", today.isoformat())
    page.click("input[type=submit]")

    expect(page.locator("#reconciles")).to_have_text("The sums reconcile.")
    card = page.locator("#by-method tr", has_text="CARD").first
    expect(card).to_contain_text(str(order.total_amount))
    with page.expect_download() as download:
        page.click("text=Download XLSX")
    assert download.value.suggested_filename.endswith(".xlsx")
