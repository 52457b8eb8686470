"""Ticket packages end to end in Chromium: a Match Manager creates a package with two options
and an image in Django Admin and drags it to the top of the list; the fan API lists it first; a
fan buys it with a promo code, answering the options; the purchase shows on the admin's sales
tracking page with its code, holders and answers."""

import io
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from core.roles import Role
from tests.browser.test_dashboard import api
from tests.ticketing.packages.test_purchase import make_package
from tests.ticketing.test_cart import on_sale_match, seated_zone
from tests.ticketing.test_checkout import adult, buyer_profile, valid_oib
from ticketing.packages.models import Package
from ticketing.promotions.models import PromoCode, PromoKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _shop_env(settings, email_templates, tmp_path):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    settings.MEDIA_ROOT = tmp_path / "media"


def png(path) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 16, 46)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_a_package_made_in_the_admin_is_bought_with_a_code_and_tracked(
        page, live_server, admin_login, make_user, login, tmp_path):
    base = live_server.url
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    match = on_sale_match()
    zone, _ = seated_zone(match, ["XXXXXXXXXX"] * 2, price="40.00")
    earlier = make_package(match, [zone], name="Season opener + scarf", price="60.00", seats=1,
                           display_order=0)
    make_user("matches@hns.example", roles=[Role.MATCH_MANAGER])
    admin_login("matches@hns.example")

    # create: match, zone, price, two options inline, an image
    page.goto(f"{base}/admin/packages/package/add/")
    page.select_option("#id_match", str(match.pk))
    page.fill("#id_name", "Family 2+2")
    page.fill("#id_description", "Two seats together and a scarf each.")
    page.fill("#id_price", "100.00")
    page.fill("#id_seats_per_package", "2")
    page.select_option("#id_zones_from", str(zone.pk))
    page.click("#id_zones_add")
    page.fill("#id_quantity_limit", "50")
    page.set_input_files("#id_image", png(tmp_path / "family.png"))
    add_option = page.locator("#options-group .add-row a")
    add_option.click()
    page.select_option("#id_options-0-kind", "MULTI_SELECT")
    page.fill("#id_options-0-label", "Scarf size")
    page.fill("#id_options-0-choices", '["Kids", "Adult"]')
    page.check("#id_options-0-is_required")
    add_option.click()
    page.select_option("#id_options-1-kind", "BOOLEAN")
    page.fill("#id_options-1-label", "Parking needed")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("Family 2+2")
    family = Package.objects.get(name="Family 2+2")
    assert family.image and family.thumbnail
    assert [o.label for o in family.options.order_by("display_order")] == [
        "Scarf size", "Parking needed"]

    # reorder: drag the new package above the earlier one
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Family 2+2")
    with page.expect_response(lambda r: "adminsortable2_update" in r.url) as moved:
        rows.nth(1).locator(".handle").drag_to(rows.nth(0).locator(".handle"))
    assert moved.value.ok
    expect(rows.nth(0)).to_contain_text("Family 2+2")

    # the fan API lists it first, with its image and options
    fan = login("fan@example.com")
    buyer_profile(fan.user)
    token = fan.tokens.access_token
    listed = api(base, token, "GET", f"/api/matches/{match.pk}/packages")["packages"]
    assert [p["name"] for p in listed] == ["Family 2+2", earlier.name]
    assert listed[0]["image_url"] and listed[0]["thumbnail_url"]
    thumbnail = urllib.parse.urlsplit(listed[0]["thumbnail_url"]).path
    with urllib.request.urlopen(base + thumbnail, timeout=10) as served:
        assert served.read(8) == b"\x89PNG\r\n\x1a\n"  # stored re-encoded, served from media
    size, parking = listed[0]["options"]

    # bought with a code, each holder answering
    PromoCode.objects.create(match=match, code="FAMILY25", kind=PromoKind.PERCENT,
                             value=25).packages.set([family])
    cart = api(base, token, "POST", "/api/cart/add-package",
               {"match_id": match.pk, "package_id": family.pk, "quantity": 1})
    answers = {str(size["id"]): "Kids", str(parking["id"]): True}
    order = api(base, token, "POST", "/api/checkout", {
        "cart_id": cart["id"], "promo_code": "family25",
        "holders": [{"options": answers},
                    {**adult(oib=valid_oib(21)), "options": {str(size["id"]): "Adult"}}],
    })["order"]
    assert order["ticket_amount"] == "75.00"
    assert api(base, token, "POST", f"/api/orders/{order['id']}/pay-local")["status"] == (
        "COMPLETED")

    # sales tracking
    page.goto(f"{base}/admin/packages/package/?match__id__exact={match.pk}")
    expect(page.locator("#package-summary-sold")).to_have_text("1")
    expect(page.locator("#package-summary-revenue")).to_have_text("75.00")
    page.goto(f"{base}/admin/packages/packagepurchase/?package__match__id__exact={match.pk}")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(order["number"])
    expect(row).to_contain_text("FAMILY25")
    expect(row).to_contain_text("fan@example.com")
    expect(row.locator(".package-holder")).to_have_count(2)
    expect(row).to_contain_text("Scarf size: Kids")
    expect(row).to_contain_text("Scarf size: Adult")
    expect(page.locator("#package-sales-csv")).to_be_visible()
    assert problems == []
