"""/api/admin/matches/<id>/packages (Match Manager): create, validate, list with stock, edit with
the version read (stale: 409), the limit never below what is taken, delete only unsold,
reorder, options (at most 4, answered ones stay) and the image (re-encoded, thumbnail, no
metadata); every change audited."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.models import AuditEvent
from core.roles import Role
from tests.assertions import assert_error
from tests.ticketing.packages import test_purchase as purchase
from tests.ticketing.packages.test_purchase import (
    add_package,
    holders_for,
    make_package,
    service_checkout,
)
from tests.ticketing.test_cart import on_sale_match, seated_zone
from ticketing.packages.models import OptionKind, Package, PackageOption

pytestmark = pytest.mark.django_db

# The purchase tests' fixtures: local payments and a fan with a complete profile.
local_payments, buyer = purchase.local_payments, purchase.buyer


@pytest.fixture
def manager(make_user, back_office):
    return back_office(make_user(roles=[Role.MATCH_MANAGER]))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(match, *parts) -> str:
    return "/".join([f"/api/admin/matches/{match.id}/packages", *map(str, parts)])


def create(client, match, zone, **fields):
    body = {"name": "VIP Gold", "price": "1200.00", "seats_per_package": 2,
            "zone_ids": [zone.id]} | fields
    return client.post(url(match), body, format="json")


def created(client, match, zone, **fields) -> dict:
    response = create(client, match, zone, **fields)
    assert response.status_code == 201, response.content
    return response.json()


# --- create ----------------------------------------------------------------------------------

def test_a_manager_creates_a_package(manager, match, zone):
    response = create(manager, match, zone, quantity_limit=10, description="Lounge and dinner")

    assert response.status_code == 201, response.content
    body = response.json()
    package = Package.objects.get()
    assert (body["id"], body["name"], body["price"], body["quantity_limit"]) == (
        package.id, "VIP Gold", "1200.00", 10)
    assert (body["seats_per_package"], body["zones"], body["sold"], body["available"],
            body["sold_out"], body["version"], body["is_active"]) == (
        2, [{"id": zone.id, "name": zone.name}], 0, 10, False, 1, True)
    assert (body["image_url"], body["options"]) == (None, [])
    assert package.created_by == manager.user
    event = AuditEvent.objects.get(action="package.created")
    assert (event.object_id, event.after["name"], event.after["zone_ids"]) == (
        str(package.id), "VIP Gold", [zone.id])


def test_a_fan_cannot_manage_packages(fan, match, zone):
    assert create(fan, match, zone).status_code == 403
    assert fan.get(url(match)).status_code == 403


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": "N" * 101}, "name"),
    ({"name": ""}, "name"),
    ({"price": "-0.01"}, "price"),
    ({"seats_per_package": 0}, "seats_per_package"),
    ({"zone_ids": []}, "zone_ids"),
    ({"quantity_limit": -1}, "quantity_limit"),
])
def test_invalid_packages_are_a_400_naming_the_field(manager, match, zone, fields, field):
    response = create(manager, match, zone, **fields)

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Package.objects.exists()


def test_a_zone_of_another_match_is_a_422(manager, match, zone):
    other_zone, _ = seated_zone(on_sale_match())

    body = assert_error(create(manager, match, zone, zone_ids=[zone.id, other_zone.id]), 422,
                        "package_zones")
    assert "zone_ids" in body["fields"]
    assert not Package.objects.exists()


def test_a_missing_match_is_a_404(manager, zone):
    from seating.models import Match

    response = manager.post(url(Match(id=999_999)), {
        "name": "X", "price": "1.00", "seats_per_package": 1, "zone_ids": [zone.id]},
        format="json")
    assert_error(response, 404, "match_not_found")


# --- list and detail -------------------------------------------------------------------------

def test_the_list_shows_sold_available_and_sold_out(manager, match, zone):
    plenty = make_package(match, [zone], name="Plenty", quantity_limit=10, display_order=0)
    gone = make_package(match, [zone], name="Gone", quantity_limit=2, display_order=1)
    unlimited = make_package(match, [zone], name="Unlimited", display_order=2)
    Package.objects.filter(pk=plenty.pk).update(sold_count=3, held_count=2)
    Package.objects.filter(pk=gone.pk).update(sold_count=2)
    Package.objects.filter(pk=unlimited.pk).update(sold_count=7)

    response = manager.get(url(match))

    assert response.status_code == 200, response.content
    rows = [(p["name"], p["sold"], p["held"], p["available"], p["sold_out"])
            for p in response.json()["packages"]]
    assert rows == [("Plenty", 3, 2, 5, False), ("Gone", 2, 0, 0, True),
                    ("Unlimited", 7, 0, None, False)]


def test_the_detail_and_a_package_of_another_match(manager, match, zone):
    package = make_package(match, [zone], name="Detail")
    other = on_sale_match()

    response = manager.get(url(match, package.id))

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["name"]) == (package.id, "Detail")
    assert_error(manager.get(url(other, package.id)), 404, "package_not_found")


# --- update ----------------------------------------------------------------------------------

def test_an_update_with_the_version_read_bumps_it_and_a_stale_one_is_409(manager, match, zone):
    package = created(manager, match, zone)

    first = manager.patch(url(match, package["id"]), {"version": 1, "price": "999.50"},
                          format="json")

    assert first.status_code == 200, first.content
    assert (first.json()["price"], first.json()["version"]) == ("999.50", 2)
    stale = manager.patch(url(match, package["id"]), {"version": 1, "name": "Too late"},
                          format="json")
    body = assert_error(stale, 409, "package_changed")
    assert "version" in body["fields"]
    assert Package.objects.get().name == "VIP Gold"
    assert AuditEvent.objects.filter(action="package.updated").count() == 1


def test_an_update_without_a_version_is_refused(manager, match, zone):
    package = created(manager, match, zone)

    response = manager.patch(url(match, package["id"]), {"name": "No version"}, format="json")

    assert response.status_code in (400, 422), response.content
    assert "version" in response.json()["fields"]
    assert Package.objects.get().name == "VIP Gold"


def test_an_update_can_change_the_zones(manager, match, zone):
    package = created(manager, match, zone)
    second, _ = seated_zone(match, code="B1")

    response = manager.patch(url(match, package["id"]),
                             {"version": 1, "zone_ids": [zone.id, second.id]}, format="json")

    assert response.status_code == 200, response.content
    assert [z["id"] for z in response.json()["zones"]] == sorted([zone.id, second.id])


def test_the_limit_cannot_go_below_sold_and_held(manager, match, zone):
    package = make_package(match, [zone], quantity_limit=10)
    Package.objects.filter(pk=package.pk).update(sold_count=3, held_count=2)

    response = manager.patch(url(match, package.id), {"version": 1, "quantity_limit": 4},
                             format="json")

    body = assert_error(response, 422, "package_limit_below_sold")
    assert "quantity_limit" in body["fields"]
    assert "3 sold" in body["detail"] and "2 in carts" in body["detail"]
    assert "below 5" in body["detail"]
    assert Package.objects.get().quantity_limit == 10
    ok = manager.patch(url(match, package.id), {"version": 1, "quantity_limit": 5},
                       format="json")
    assert ok.status_code == 200, ok.content
    assert (ok.json()["available"], ok.json()["sold_out"]) == (0, True)


# --- delete ----------------------------------------------------------------------------------

def test_an_unsold_package_is_deleted(manager, match, zone):
    package = created(manager, match, zone)

    response = manager.delete(url(match, package["id"]))

    assert response.status_code == 204, response.content
    assert not Package.objects.exists()
    assert AuditEvent.objects.filter(action="package.deleted",
                                     object_id=str(package["id"])).exists()


def test_a_package_with_a_sale_is_not_deleted(manager, match, zone):
    package = make_package(match, [zone])
    Package.objects.filter(pk=package.pk).update(sold_count=1)

    assert_error(manager.delete(url(match, package.id)), 409, "package_has_sales")
    assert Package.objects.filter(pk=package.pk).exists()


def test_a_package_in_a_cart_is_not_deleted(manager, buyer, match, zone):
    package = make_package(match, [zone])
    assert add_package(buyer, match, package).status_code == 201

    assert_error(manager.delete(url(match, package.id)), 409, "package_has_sales")


# --- reorder ---------------------------------------------------------------------------------

def test_reordering_sets_the_order_fans_see(manager, fan, match, zone):
    ids = [created(manager, match, zone, name=name)["id"] for name in ("A", "B", "C")]

    response = manager.post(url(match, "reorder"), {"package_ids": [ids[2], ids[0], ids[1]]},
                            format="json")

    assert response.status_code == 204, response.content
    fans = fan.get(f"/api/matches/{match.id}/packages").json()["packages"]
    assert [p["name"] for p in fans] == ["C", "A", "B"]
    assert [p["name"] for p in manager.get(url(match)).json()["packages"]] == ["C", "A", "B"]
    event = AuditEvent.objects.get(action="package.reordered")
    assert (event.object_id, event.before["order"], event.after["order"]) == (
        str(match.id), ids, [ids[2], ids[0], ids[1]])


@pytest.mark.parametrize("change", ["missing", "foreign", "twice", "unknown"])
def test_a_reorder_must_name_every_package_once(manager, match, zone, change):
    ids = [created(manager, match, zone, name=name)["id"] for name in ("A", "B")]
    other = on_sale_match()
    foreign = make_package(other, [seated_zone(other)[0]])
    package_ids = {"missing": ids[:1], "foreign": [*ids, foreign.id], "twice": [*ids, ids[0]],
                   "unknown": [ids[0], 999_999]}[change]

    response = manager.post(url(match, "reorder"), {"package_ids": package_ids}, format="json")

    body = assert_error(response, 422, "package_order")
    assert "package_ids" in body["fields"]
    assert list(Package.objects.filter(match=match).values_list("display_order", flat=True)) \
        == [0, 1]


# --- options ---------------------------------------------------------------------------------

def option(client, match, package_id, **fields):
    body = {"kind": "BOOLEAN", "label": "Parking needed?"} | fields
    return client.post(url(match, package_id, "options"), body, format="json")


def test_a_package_has_at_most_four_options(manager, match, zone):
    package = created(manager, match, zone)
    kinds = [{"kind": "BOOLEAN"}, {"kind": "TEXT"},
             {"kind": "MULTI_SELECT", "choices": ["S", "M", "L"], "is_required": True},
             {"kind": "BOOLEAN"}]
    for n, fields in enumerate(kinds):
        response = option(manager, match, package["id"], label=f"Question {n}", **fields)
        assert response.status_code == 201, response.content

    assert_error(option(manager, match, package["id"]), 422, "options_max")
    listed = manager.get(url(match, package["id"], "options")).json()
    assert (len(listed["options"]), listed["max"]) == (4, 4)
    assert listed["options"][2]["choices"] == ["S", "M", "L"]
    assert manager.get(url(match, package["id"])).json()["options"][2]["is_required"] is True


@pytest.mark.parametrize("choices", [["Only"], [], ["A", "A"], ["A", " "],
                                     [str(n) for n in range(11)]])
def test_a_multiple_choice_option_needs_2_to_10_distinct_choices(manager, match, zone, choices):
    package = created(manager, match, zone)

    response = option(manager, match, package["id"], kind="MULTI_SELECT", choices=choices)

    assert response.status_code in (400, 422), response.content
    assert any(f.startswith("choices") for f in response.json()["fields"]), response.content
    assert not PackageOption.objects.exists()


def test_a_multiple_choice_option_with_one_choice_is_a_422(manager, match, zone):
    package = created(manager, match, zone)

    assert_error(option(manager, match, package["id"], kind="MULTI_SELECT", choices=["Only"]),
                 422, "option_choices")


def test_only_a_multiple_choice_option_has_choices(manager, match, zone):
    package = created(manager, match, zone)

    assert_error(option(manager, match, package["id"], kind="TEXT", choices=["A", "B"]), 422,
                 "option_choices")


def test_a_label_over_200_characters_is_a_400(manager, match, zone):
    package = created(manager, match, zone)

    response = option(manager, match, package["id"], label="L" * 201)

    assert response.status_code == 400, response.content
    assert "label" in response.json()["fields"]


def test_an_unanswered_option_is_deleted(manager, match, zone):
    package = created(manager, match, zone)
    option_id = option(manager, match, package["id"]).json()["id"]

    response = manager.delete(url(match, package["id"], "options", option_id))

    assert response.status_code == 204, response.content
    assert not PackageOption.objects.exists()


def test_an_answered_option_stays_but_can_be_deactivated(manager, buyer, match, zone):
    package = make_package(match, [zone], options=[
        (OptionKind.MULTI_SELECT, "T-shirt size", ["S", "M"], True)])
    size = package.options.get()
    cart_id = add_package(buyer, match, package).json()["id"]
    service_checkout(buyer, cart_id, holders_for(2, {size.pk: "S"}))
    option_url = url(match, package.id, "options", size.pk)

    assert_error(manager.delete(option_url), 409, "option_answered")
    assert_error(manager.patch(option_url, {"choices": ["S", "M", "L"]}, format="json"), 409,
                 "option_answered")
    response = manager.patch(option_url, {"is_active": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    size.refresh_from_db()
    assert (size.is_active, size.choices) == (False, ["S", "M"])
    fans = buyer.get(f"/api/matches/{match.id}/packages").json()["packages"]
    assert fans[0]["options"] == []
    admin = manager.get(url(match, package.id)).json()
    assert [o["is_active"] for o in admin["options"]] == [False]


# --- image -----------------------------------------------------------------------------------

def image_bytes(fmt="PNG", size=(640, 480), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


def upload(client, match, package_id, data: bytes, name="photo.png", content_type="image/png"):
    return client.post(url(match, package_id, "image"),
                       {"image": SimpleUploadedFile(name, data, content_type=content_type)},
                       format="multipart")


def stored(media: Path, file_url: str) -> Path:
    return media / file_url.split("/media/", 1)[1]


def test_an_image_is_stored_with_a_256_square_thumbnail(manager, match, zone, media):
    package = created(manager, match, zone)

    response = upload(manager, match, package["id"], image_bytes())

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["image_url"].startswith("http://testserver/media/packages/")
    assert body["thumbnail_url"].startswith("http://testserver/media/packages/thumbs/")
    with Image.open(stored(media, body["image_url"])) as image:
        assert (image.format, image.size) == ("PNG", (640, 480))
    with Image.open(stored(media, body["thumbnail_url"])) as thumb:
        assert thumb.size == (256, 256)
    assert AuditEvent.objects.filter(action="package.image_set").exists()
    fans = manager.get(f"/api/matches/{match.id}/packages").json()["packages"]
    assert fans[0]["thumbnail_url"] == body["thumbnail_url"]


def test_a_jpeg_loses_its_exif(manager, match, zone, media):
    package = created(manager, match, zone)
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {2: (45.0, 48.0, 0.0)}  # GPS info: latitude
    data = image_bytes("JPEG", exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif()[0x010F] == "SpyCam"

    response = upload(manager, match, package["id"], data, name="photo.jpg",
                      content_type="image/jpeg")

    assert response.status_code == 200, response.content
    for key in ("image_url", "thumbnail_url"):
        path = stored(media, response.json()[key])
        assert path.suffix == ".jpg"
        with Image.open(path) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
            assert "exif" not in image.info
        assert b"SpyCam" not in path.read_bytes()


def test_a_text_file_named_png_is_refused(manager, match, zone, media):
    package = created(manager, match, zone)

    response = upload(manager, match, package["id"], b"hello, I am not an image\n" * 10)

    body = assert_error(response, 422, "image_invalid")
    assert "image" in body["fields"]
    assert Package.objects.get().image.name == ""
    assert not any(media.rglob("*.*"))


def test_an_image_over_the_size_limit_is_refused(manager, match, zone, media, settings):
    package = created(manager, match, zone)
    data = image_bytes()
    settings.PACKAGE_IMAGE_MAX_BYTES = len(data) - 1

    assert_error(upload(manager, match, package["id"], data), 422, "image_invalid")
    assert Package.objects.get().image.name == ""

    settings.PACKAGE_IMAGE_MAX_BYTES = len(data)
    assert upload(manager, match, package["id"], data).status_code == 200


def test_a_new_image_replaces_the_old_files(manager, match, zone, media):
    package = created(manager, match, zone)
    first = upload(manager, match, package["id"], image_bytes()).json()

    second = upload(manager, match, package["id"], image_bytes(size=(300, 300))).json()

    assert not stored(media, first["image_url"]).exists()
    assert not stored(media, first["thumbnail_url"]).exists()
    assert stored(media, second["image_url"]).exists()


def test_removing_the_image_deletes_its_files(manager, match, zone, media):
    package = created(manager, match, zone)
    body = upload(manager, match, package["id"], image_bytes()).json()
    files = [stored(media, body["image_url"]), stored(media, body["thumbnail_url"])]
    assert all(f.exists() for f in files)

    response = manager.delete(url(match, package["id"], "image"))

    assert response.status_code == 200, response.content
    assert (response.json()["image_url"], response.json()["thumbnail_url"]) == (None, None)
    assert not any(f.exists() for f in files)
    package = Package.objects.get()
    assert (package.image.name, package.thumbnail.name) == ("", "")
    assert AuditEvent.objects.filter(action="package.image_removed").exists()
