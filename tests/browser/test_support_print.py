"""E10-F4 in Chromium: a support agent finds a ticket by the holder's OIB in Django Admin,
prints it (a PDF download), and sees the duplicate-print warning the second time."""

import pytest
from playwright.sync_api import expect

from core.roles import Role
from tests.ticketing.aftersale.test_after_sale_concurrency import (  # noqa: F401 (fixtures)
    bought,
    local_payments,
    shop,
)
from tests.ticketing.test_checkout import buyer_profile, valid_oib
from ticketing.support.models import PrintLog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRIEND_OIB = valid_oib(501)  # the second holder of `bought`


def print_form_submit(page):
    page.fill("#id_reason", "phone stolen")
    page.check("#id_identity_verified")
    page.select_option("#id_document_type", "ID_CARD")
    page.fill("#id_location", "Maksimir gate 3 office")
    with page.expect_download() as download:
        page.click("#print")
    return download.value


def test_an_agent_finds_a_ticket_by_oib_prints_it_and_is_warned_the_second_time(
        make_user, admin_login, live_server, shop, tmp_path):  # noqa: F811
    make_user("agent@hns.example", roles=[Role.SUPPORT_AGENT])
    buyer = make_user("fan@hns.example")
    buyer_profile(buyer)
    bought(buyer, shop, 2)
    page = admin_login("agent@hns.example")

    page.goto(f"{live_server.url}/admin/ticketing/ticket/")
    page.fill("#searchbar", FRIEND_OIB)
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.click("#result_list tbody tr th a")
    page.click("text=Emergency print")

    expect(page.locator("#duplicate-warning")).to_have_count(0)
    first = print_form_submit(page)
    assert first.suggested_filename.endswith("-reprint.pdf")
    saved = tmp_path / "first.pdf"
    first.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    page.reload()
    expect(page.locator("#duplicate-warning")).to_contain_text("printed 1 time(s) before")
    expect(page.locator("#duplicate-warning")).to_contain_text("agent@hns.example")
    print_form_submit(page)
    assert PrintLog.objects.count() == 2
