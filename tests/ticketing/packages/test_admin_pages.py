"""Django Admin for packages: the sortable list with its capacity bars, badges and live sales
summary, the add form with options inline, a stale or limit-breaking edit refused, an answered
option kept, and the summary JSON the list polls."""

import io
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from core.models import AuditEvent
from tests.ticketing.packages import test_purchase as purchase
from tests.ticketing.packages.test_purchase import (
    add_package,
    answers,
    holders_for,
    make_package,
    service_checkout,
)
from tests.ticketing.test_cart import seated_zone
from tests.ticketing.test_order_payment import pay
from ticketing.packages.models import OptionKind, OptionResponse, Package, PackageOption

pytestmark = pytest.mark.django_db

# The purchase tests' fixtures: local payments and a fan with a complete profile.
local_payments, buyer, package = purchase.local_payments, purchase.buyer, purchase.package

LIST = "/admin/packages/package/"
ADD = f"{LIST}add/"
SUMMARY = f"{LIST}summary/"


@pytest.fixture
def admin_web(make_user):
    client = Client()
    client.force_login(make_user("root@hns.example", staff=True, is_superuser=True))
    return client


def change_url(package) -> str:
    return f"{LIST}{package.pk}/change/"


def options_management(total=0, initial=0) -> dict:
    return {"options-TOTAL_FORMS": str(total), "options-INITIAL_FORMS": str(initial),
            "options-MIN_NUM_FORMS": "0", "options-MAX_NUM_FORMS": "4"}


def option_data(index, option=None, package=None, **fields) -> dict:
    values = {"kind": OptionKind.BOOLEAN, "label": f"Question {index}", "choices": "[]",
              "is_required": "", "is_active": "on", "display_order": str(index + 1),
              "id": str(option.pk) if option else "",
              "package": str(package.pk) if package else ""}
    if option is not None:
        values |= {"kind": option.kind, "label": option.label,
                   "choices": str(option.choices).replace("'", '"'),
                   "is_required": "on" if option.is_required else "",
                   "is_active": "on" if option.is_active else ""}
    values |= fields
    return {f"options-{index}-{name}": value for name, value in values.items()}


def change_data(package, **fields) -> dict:
    """The change form as the page sends it back: every field as read, and the options."""
    options = list(package.options.all())
    data = {"name": package.name, "description": package.description,
            "price": str(package.price), "seats_per_package": str(package.seats_per_package),
            "zones": [str(z) for z in package.zones.values_list("pk", flat=True)],
            "quantity_limit": "" if package.quantity_limit is None else str(package.quantity_limit),
            "is_active": "on" if package.is_active else "",
            "seen_version": str(package.version),
            **options_management(len(options), len(options))}
    for index, option in enumerate(options):
        data |= option_data(index, option, package)
    return data | fields


def errors_of(response) -> str:
    html = response.content.decode()
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S))


# --- the list ----------------------------------------------------------------------------------

def test_the_list_shows_capacity_bars_badges_and_the_sales_summary(admin_web, match, zone):
    sold_out = make_package(match, [zone], name="Family", quantity_limit=3)
    Package.objects.filter(pk=sold_out.pk).update(sold_count=2, held_count=1)
    sponsor = make_package(match, [zone], name="Sponsor box", is_sponsorship=True,
                           quantity_limit=10)
    Package.objects.filter(pk=sponsor.pk).update(sold_count=4)
    make_package(match, [zone], name="Open", quantity_limit=None)

    response = admin_web.get(LIST, {"match__id__exact": match.pk})

    assert response.status_code == 200
    html = response.content.decode()
    row = {name: re.search(rf">{name}</a>.*?</tr>", html, re.S).group(0)
           for name in ("Family", "Sponsor box", "Open")}
    assert re.search(rf'<progress data-package-capacity="{sold_out.pk}" value="3" max="3"',
                     row["Family"])
    assert "Sold Out" in row["Family"] and "Sponsorship" not in row["Family"]
    assert f'data-package-capacity="{sponsor.pk}" value="4" max="10"' in row["Sponsor box"]
    assert "Sponsorship" in row["Sponsor box"] and "Sold Out" not in row["Sponsor box"]
    assert "Unlimited (0 sold)" in row["Open"] and "<progress" not in row["Open"]
    assert "package-badge" not in row["Open"]
    # drag-and-drop ordering (adminsortable2) and the live summary above the table
    assert "adminsortable2" in html and 'id="admin_sortable2_config"' in html
    # the counters were set by hand: the summary counts paid purchases, and there is none
    assert re.search(r'id="package-summary-sold">0<', html)
    assert re.search(r'id="package-summary-revenue">0.00<', html)
    assert "packages/admin_summary.js" in html
    config = re.search(r'id="package-summary-config"[^>]*>(.*?)</script>', html).group(1)
    assert f"summary/?match={match.pk}" in config and '"interval_ms": 3000' in config


# --- adding ------------------------------------------------------------------------------------

def test_adding_a_package_with_two_options_creates_them(admin_web, match, zone):
    data = {"match": str(match.pk), "name": "VIP Gold", "description": "Lounge",
            "price": "1200.00", "seats_per_package": "2", "zones": [str(zone.pk)],
            "quantity_limit": "10", "is_active": "on", **options_management(2),
            **option_data(0, kind=OptionKind.MULTI_SELECT, label="T-shirt size",
                          choices='["S", "M", "L"]', is_required="on"),
            **option_data(1, kind=OptionKind.BOOLEAN, label="Parking needed?")}

    response = admin_web.post(ADD, data)

    assert response.status_code == 302, errors_of(response)
    package = Package.objects.get()
    assert (package.name, package.price, package.seats_per_package, package.quantity_limit,
            package.version) == ("VIP Gold", D("1200.00"), 2, 10, 1)
    assert list(package.zones.all()) == [zone]
    assert (package.created_by.email, package.display_order) == ("root@hns.example", 1)
    assert [(o.kind, o.label, o.choices, o.is_required) for o in package.options.all()] == [
        (OptionKind.MULTI_SELECT, "T-shirt size", ["S", "M", "L"], True),
        (OptionKind.BOOLEAN, "Parking needed?", [], False)]
    event = AuditEvent.objects.get(action="package.created")
    assert (event.object_id, event.after["name"], event.after["zone_ids"]) == (
        str(package.pk), "VIP Gold", [zone.pk])


def test_a_zone_of_another_match_and_bad_choices_are_form_errors(admin_web, match, zone):
    from tests.ticketing.test_cart import on_sale_match

    other_zone = seated_zone(on_sale_match(), code="B1")[0]
    data = {"match": str(match.pk), "name": "VIP", "price": "10.00",
            "seats_per_package": "1", "zones": [str(other_zone.pk)], "is_active": "on",
            **options_management(1),
            **option_data(0, kind=OptionKind.MULTI_SELECT, choices='["S", "S"]')}

    response = admin_web.post(ADD, data)

    assert response.status_code == 200
    errors = errors_of(response)
    assert "Not zones of this package&#x27;s match" in errors
    assert "distinct, non-empty answers" in errors
    assert not Package.objects.exists()


# --- changing ----------------------------------------------------------------------------------

def test_an_edit_saves_bumps_the_version_and_keeps_the_counters(admin_web, match, zone):
    package = make_package(match, [zone], quantity_limit=10)
    data = change_data(package, name="VIP Platinum")
    Package.objects.filter(pk=package.pk).update(sold_count=3)  # a checkout meanwhile

    response = admin_web.post(change_url(package), data)

    assert response.status_code == 302, errors_of(response)
    package.refresh_from_db()
    assert (package.name, package.version, package.sold_count) == ("VIP Platinum", 2, 3)
    event = AuditEvent.objects.get(action="package.updated")
    assert (event.before["name"], event.after["name"]) == ("VIP", "VIP Platinum")


def test_a_stale_edit_is_refused(admin_web, match, zone):
    package = make_package(match, [zone])
    data = change_data(package, name="Mine")
    Package.objects.filter(pk=package.pk).update(name="Theirs", version=2)  # someone else

    response = admin_web.post(change_url(package), data)

    assert response.status_code == 200
    assert "Someone else changed this package" in response.content.decode()
    package.refresh_from_db()
    assert (package.name, package.version) == ("Theirs", 2)
    assert not AuditEvent.objects.filter(action="package.updated").exists()


def test_a_limit_below_what_is_taken_is_a_form_error(admin_web, match, zone):
    package = make_package(match, [zone], quantity_limit=10)
    Package.objects.filter(pk=package.pk).update(sold_count=3, held_count=1)

    response = admin_web.post(change_url(package), change_data(package, quantity_limit="2"))

    assert response.status_code == 200
    assert "3 sold and 1 in carts: the limit cannot go below 4." in errors_of(response)
    package.refresh_from_db()
    assert (package.quantity_limit, package.version) == (10, 1)


def test_an_option_with_answers_cannot_be_deleted(admin_web, buyer, match, zone, package):
    cart_id = add_package(buyer, match, package).json()["id"]
    service_checkout(buyer, cart_id, holders_for(2, answers(package)))
    assert OptionResponse.objects.count() == 4
    package.refresh_from_db()
    data = change_data(package, **{"options-0-DELETE": "on"})

    response = admin_web.post(change_url(package), data)

    assert response.status_code == 200
    assert "This option has answers: deactivate it instead." in errors_of(response)
    assert PackageOption.objects.filter(package=package).count() == 2


def test_an_option_without_answers_is_deleted(admin_web, match, zone, package):
    data = change_data(package, **{"options-1-DELETE": "on"})

    response = admin_web.post(change_url(package), data)

    assert response.status_code == 302, errors_of(response)
    assert [o.label for o in package.options.all()] == ["T-shirt size"]


def png(size=(600, 400)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def test_an_uploaded_image_is_re_encoded_with_a_thumbnail_then_removed(
        admin_web, match, zone, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    package = make_package(match, [zone])

    response = admin_web.post(change_url(package), change_data(package, image=png()))

    assert response.status_code == 302, errors_of(response)
    package.refresh_from_db()
    assert package.image.name.endswith(".png") and package.thumbnail.name.endswith(".png")
    with Image.open(package.thumbnail.path) as thumb:
        assert thumb.size == (256, 256)
    assert f'src="{package.thumbnail.url}"' in admin_web.get(change_url(package)).content.decode()
    image_path = package.image.path

    response = admin_web.post(change_url(package), change_data(package, remove_image="on"))

    assert response.status_code == 302, errors_of(response)
    package.refresh_from_db()
    assert (package.image.name, package.thumbnail.name) == ("", "")
    assert not (tmp_path / image_path).exists()


def test_a_file_that_is_not_an_image_is_a_form_error(admin_web, match, zone, settings,
                                                     tmp_path):
    settings.MEDIA_ROOT = tmp_path
    package = make_package(match, [zone])
    fake = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")

    response = admin_web.post(change_url(package), change_data(package, image=fake))

    assert response.status_code == 200
    assert "not a readable JPEG, PNG or WebP image" in errors_of(response)
    package.refresh_from_db()
    assert (package.image.name, package.version) == ("", 1)


# --- the live summary ----------------------------------------------------------------------------

def test_the_summary_answers_stock_sold_and_revenue_of_completed_orders(
        admin_web, buyer, match, zone, package, django_capture_on_commit_callbacks):
    Package.objects.filter(pk=package.pk).update(quantity_limit=2)
    cart_id = add_package(buyer, match, package).json()["id"]
    order = service_checkout(buyer, cart_id, holders_for(2, answers(package)))
    assert pay(buyer, order, django_capture_on_commit_callbacks).status_code == 200
    other = make_package(match, [zone], name="Open")

    response = admin_web.get(SUMMARY, {"match": match.pk})

    assert response.status_code == 200
    assert response.json() == {
        "packages": [
            {"id": package.pk, "sold_count": 1, "held_count": 0, "available": 1,
             "sold_out": False},
            {"id": other.pk, "sold_count": 0, "held_count": 0, "available": None,
             "sold_out": False}],
        "sold": 1, "revenue": "1200.00"}
    assert admin_web.get(SUMMARY, {"match": match.pk + 1000}).json() == {
        "packages": [], "sold": 0, "revenue": "0.00"}
    assert admin_web.get(SUMMARY, {"match": "x"}).status_code == 400


def test_the_summary_is_for_admins_only(buyer, match):
    response = Client().get(SUMMARY)

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_drag_and_drop_reorder_is_audited_per_match(admin_web, match, zone):
    first = make_package(match, [zone], name="First", display_order=0)
    second = make_package(match, [zone], name="Second", display_order=1)

    response = admin_web.post(f"{LIST}adminsortable2_update/",
                              {"updatedItems": [[str(second.pk), 0], [str(first.pk), 1]]},
                              content_type="application/json")

    assert response.status_code == 200, response.content
    assert list(Package.objects.order_by("display_order").values_list("name", flat=True)) == [
        "Second", "First"]
    event = AuditEvent.objects.get(action="package.reordered")
    assert (event.object_id, event.after) == (
        str(match.pk), {"moved": {str(second.pk): 0, str(first.pk): 1}})


# --- sales tracking ----------------------------------------------------------------------------

SALES = "/admin/packages/packagepurchase/"


def test_the_sales_page_lists_purchases_with_buyer_code_holders_and_answers(
        admin_web, buyer, match, zone, package, django_capture_on_commit_callbacks):
    from tests.ticketing.promotions.conftest import make_promo

    make_promo(match, code="PKG20", value="20").packages.set([package])
    cart_id = add_package(buyer, match, package).json()["id"]
    order = service_checkout(buyer, cart_id, holders_for(2, answers(package)), "pkg20")
    assert pay(buyer, order, django_capture_on_commit_callbacks).status_code == 200
    unpaid = make_package(match, [zone], name="Unpaid")
    service_checkout(buyer, add_package(buyer, match, unpaid).json()["id"], holders_for(2))

    html = admin_web.get(SALES, {"package__match__id__exact": match.pk}).content.decode()

    assert order.number in html and buyer.user.email in html and "PKG20" in html
    assert html.count('class="field-package') == 1  # counted once its order is paid
    assert html.count('class="package-holder"') == 2
    assert "T-shirt size: M" in html and "Friend1" in html
    csv_link = re.search(r'id="package-sales-csv" href="([^"]+)"', html).group(1)
    assert csv_link == f"{SALES}export.csv?package__match__id__exact={match.pk}"

    response = admin_web.get(csv_link.replace("&amp;", "&"))

    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[0].startswith("order,status,purchased_at,buyer,package")
    assert len(rows) == 3 and all(order.number in row for row in rows[1:])
    assert "PKG20" in rows[1] and "960.00" in rows[1]  # 1200.00 less 20 %
    detail = admin_web.get(f"{SALES}{order.package_purchases.get().pk}/change/")
    assert detail.status_code == 200
    assert "PKG20" in detail.content.decode() and "T-shirt size: M" in detail.content.decode()


def test_the_sales_csv_follows_the_date_drill_down(admin_web):
    from ticketing.packages.admin import sales_filter

    f = sales_filter({"package__match__id__exact": "4", "created_at__year": "2026",
                      "created_at__month": "12", "package__is_sponsorship__exact": "1"})
    assert (f.match_id, f.sponsorship_only) == (4, True)
    assert (f.date_from.isoformat()[:10], f.date_to.isoformat()[:10]) == ("2026-12-01",
                                                                          "2027-01-01")
    f = sales_filter({"created_at__year": "2026", "created_at__month": "2",
                      "created_at__day": "28"})
    assert (f.match_id, f.date_from.day, f.date_to.month, f.date_to.day) == (None, 28, 3, 1)
    assert sales_filter({"created_at__year": "2026"}).date_to.year == 2027
    assert Client().get(f"{SALES}export.csv").status_code == 302  # signed-in staff only
    bad = admin_web.get(f"{SALES}export.csv", {"created_at__year": "2026",
                                               "created_at__month": "13"})
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid")
