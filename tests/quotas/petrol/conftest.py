"""Petrol fixtures: a published numbered match with its stadium validated, a Match Manager,
a Petrol quota made through the service, a fan with a complete profile, and staff at a
station."""

import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from core.roles import Role
from quotas.petrol.models import PetrolStaffMember, PetrolStation
from quotas.petrol.services.quotas import petrol_quota_create
from seating.models import ConfigStatus
from tests.quotas.conftest import complete_profile, numbered_match

PARTNER = "billing@ina.hr"


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def match(db):
    return numbered_match(stadium_config_status=ConfigStatus.VALIDATED)


@pytest.fixture
def match_manager(make_user):
    return client_of(make_user("matches@hns.hr", roles=[Role.MATCH_MANAGER]))


def make_petrol_quota(match, *, quantity=6, actor=None, sectors=None):
    from seating.models import MatchSector

    ids = sectors or [MatchSector.objects.get(match=match, code="A").pk]
    return petrol_quota_create(actor=actor, match_id=match.pk, quantity=quantity,
                               recipient_email=PARTNER, recipient_name="INA d.d.",
                               sector_ids=ids)


@pytest.fixture
def petrol_quota(match):
    return make_petrol_quota(match)


@pytest.fixture
def fan(login):
    client = login("fan@example.com")
    complete_profile(client.user)
    return client


@pytest.fixture
def station(db):
    return PetrolStation.objects.create(code="ina-zagreb-1", name="INA Zagreb Slavonska")


def make_staff(make_user, station, email="staff@ina.hr"):
    user = make_user(email, roles=[Role.PETROL_STAFF])
    PetrolStaffMember.objects.create(user=user, station=station)
    return client_of(user)


@pytest.fixture
def staff(make_user, station):
    return make_staff(make_user, station)


def holders(n: int = 2) -> list[dict]:
    """The fan's own profile, then guests."""
    guests = [{"first_name": f"Guest{i}", "last_name": "Gost", "date_of_birth": "1990-05-17",
               "nationality": "DE", "passport_number": f"C0{i:07d}"} for i in range(1, n)]
    return [{"use_my_profile": True}, *guests]


def pin_of(fan, match, n: int = 2) -> dict:
    response = fan.post(f"/api/petrol-sales/{match.pk}/generate-pin", {"holders": holders(n)},
                        format="json")
    assert response.status_code == 201, response.content
    return response.json()


def qr_text_png(content: bytes) -> str:
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(content)))
    return code.text


def qr_text_svg(content: bytes) -> str:
    """Rasterise qrcode's rect SVG (units mm) and read it."""
    text = content.decode()
    size = float(re.search(r'width="([\d.]+)mm"', text).group(1))
    scale = 10
    image = Image.new("L", (int(size * scale), int(size * scale)), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h in re.findall(
            r'<svg:rect x="([\d.]+)mm" y="([\d.]+)mm" width="([\d.]+)mm" height="([\d.]+)mm"',
            text):
        x, y, w, h = (float(v) * scale for v in (x, y, w, h))
        draw.rectangle([x, y, x + w - 1, y + h - 1], fill=0)
    [code] = zxingcpp.read_barcodes(image)
    return code.text
