"""E14-F2 in Chromium, against the ASGI live server (HTTP and the WebSocket): a Match Manager
opens a match's live dashboard; a fan buys two tickets through the API (cart, checkout, the
local payment) while it is open; the page shows them within 2 seconds, without a reload."""

import json
import os
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from core.roles import Role
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import adult, buyer_profile, valid_oib

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 2_000  # ms: a sale must show on the open dashboard within 2 seconds


@pytest.fixture(autouse=True)
def _shop_env(settings, email_templates):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def buy(base: str, fan, match, zone, oib: int) -> dict:
    """Two tickets, the way the app buys them: cart, checkout, the local payment."""
    token = fan.tokens.access_token
    cart = api(base, token, "POST", "/api/cart/add",
               {"match_id": match.pk, "zone_id": zone.pk, "quantity": 2})
    order = api(base, token, "POST", "/api/checkout",
                {"cart_id": cart["id"], "holders": [{}, adult(oib=valid_oib(oib))]})["order"]
    return api(base, token, "POST", f"/api/orders/{order['id']}/pay-local")


def test_a_sale_made_through_the_api_shows_on_the_open_dashboard(
        page, asgi_live_server, make_user, login):
    base = asgi_live_server.url
    problems = []  # script errors, CSP refusals (on the console) and files that failed
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: m.type == "error" and "Failed to load" not in m.text
            and problems.append(m.text))
    page.on("response", lambda r: r.status >= 400 and "favicon" not in r.url
            and problems.append(f"{r.status} {r.url}"))
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 3)
    make_user("matches@hns.example", roles=[Role.MATCH_MANAGER])
    earlier, fan = login("first.fan@example.com"), login("fan@example.com")
    buyer_profile(earlier.user, oib=valid_oib(11))
    buyer_profile(fan.user)
    assert buy(base, earlier, match, zone, 12)["status"] == "COMPLETED"

    page.goto(f"{base}/admin/login/?next=/admin/reports/dashboard/")
    page.fill("#id_username", "matches@hns.example")
    page.fill("#id_password", "pass-1234")
    page.click("input[type=submit]")
    page.click(f"#upcoming-matches a[href='/admin/reports/dashboard/{match.pk}/']")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    expect(page.locator("#kpi-sold")).to_have_text("2")
    expect(page.locator("#kpi-available")).to_have_text("28")
    expect(page.locator("#sector-map .sector-tile")).to_have_count(1)
    expect(page.locator("#chart-timeline")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    paid = buy(base, fan, match, zone, 13)
    sold_at = time.monotonic()

    assert paid["status"] == "COMPLETED", paid
    expect(page.locator("#kpi-sold")).to_have_text("4", timeout=LIVE)
    assert time.monotonic() - sold_at < LIVE / 1000
    expect(page.locator("#kpi-available")).to_have_text("26")
    expect(page.locator("#channels tr[data-channel=SHOP] td").nth(2)).to_have_text("4")
    assert page.evaluate("window.sameDocument") is True
    if os.environ.get("DASHBOARD_SCREENSHOT"):
        page.set_viewport_size({"width": 1400, "height": 1500})
        page.screenshot(path=os.environ["DASHBOARD_SCREENSHOT"], full_page=True)
    assert problems == []
