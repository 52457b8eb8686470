"""Wallet passes (E9-F4): a signed Apple .pkpass and a Google Wallet link with match, seat,
holder and the ticket's QR, only within the ticket's visibility (E9-F2) and only for a valid
ticket. The tests make a throwaway certificate chain and service account."""

import hashlib
import io
import json
import subprocess
import zipfile
from datetime import timedelta

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone

from seating.models import Match
from tests.ticketing.aftersale.test_transfer import transfer
from ticketing.models import TicketStatus
from ticketing.services.tickets import qr_payload

pytestmark = pytest.mark.django_db


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
    now = timezone.now()
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


def _pem(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def apple_wallet(settings, tmp_path):
    """A throwaway 'WWDR' CA and a pass type certificate it signed, configured."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("Test WWDR", ca_key, "Test WWDR", ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _certificate("Pass Type ID: pass.hr.hns.ticket", key, "Test WWDR", ca_key,
                               ca=False)
    settings.APPLE_WALLET_WWDR_FILE = _pem(tmp_path / "wwdr.pem",
                                           ca.public_bytes(serialization.Encoding.PEM))
    settings.APPLE_WALLET_CERT_FILE = _pem(tmp_path / "pass.pem",
                                           certificate.public_bytes(serialization.Encoding.PEM))
    settings.APPLE_WALLET_KEY_FILE = _pem(tmp_path / "pass.key", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    settings.APPLE_WALLET_PASS_TYPE_ID = "pass.hr.hns.ticket"
    settings.APPLE_WALLET_TEAM_ID = "A1B2C3D4E5"
    return tmp_path


@pytest.fixture
def google_wallet(settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = {"type": "service_account", "project_id": "hns-wallet", "private_key_id": "k1",
               "private_key": key.private_bytes(
                   serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                   serialization.NoEncryption()).decode(),
               "client_email": "wallet@hns-wallet.iam.gserviceaccount.com",
               "token_uri": "https://oauth2.googleapis.com/token"}
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(account))
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = str(path)
    settings.GOOGLE_WALLET_ISSUER_ID = "3388000000012345678"
    settings.GOOGLE_WALLET_ORIGINS = ["https://ulaznice.hns.hr"]
    return key.public_key()


@pytest.fixture
def ticket(paid):
    """A valid ticket of the buyer's, kick-off in two hours (its QR visible)."""
    order = paid(1)
    Match.objects.filter(pk=order.match_id).update(kick_off_time=timezone.now()
                                                    + timedelta(hours=2))
    return order.tickets.get()


def test_the_apple_pass_is_signed_and_its_manifest_names_every_file(
        apple_wallet, buyer, ticket):
    response = buyer.get(f"/api/tickets/{ticket.pk}/wallet/apple")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    signed = set(archive.namelist()) - {"manifest.json", "signature"}
    assert set(manifest) == signed >= {"pass.json", "icon.png", "icon@2x.png", "logo.png"}
    for name, digest in manifest.items():
        assert hashlib.sha1(archive.read(name)).hexdigest() == digest
    (apple_wallet / "manifest.json").write_bytes(archive.read("manifest.json"))
    (apple_wallet / "signature").write_bytes(archive.read("signature"))
    verified = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
         "-in", str(apple_wallet / "signature"), "-content", str(apple_wallet / "manifest.json"),
         "-CAfile", str(apple_wallet / "wwdr.pem"), "-out", "/dev/null"],
        capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr

    data = json.loads(archive.read("pass.json"))
    assert data["passTypeIdentifier"] == "pass.hr.hns.ticket"
    assert data["teamIdentifier"] == "A1B2C3D4E5"
    assert data["serialNumber"] == f"{ticket.pk}-{ticket.barcode}"
    assert data["barcodes"][0] == {"format": "PKBarcodeFormatQR", "message": qr_payload(ticket),
                                   "messageEncoding": "iso-8859-1",
                                   "altText": ticket.holder_name}
    fields = {f["key"]: f["value"] for group in data["eventTicket"].values() for f in group}
    assert fields["holder"] == ticket.holder_name
    assert fields["row"] == ticket.inventory.row_label
    assert fields["seat"] == str(ticket.inventory.seat_number)
    assert ticket.match.home_team in fields["match"]


def test_the_google_link_carries_a_signed_jwt_with_the_same_content(
        google_wallet, buyer, ticket):
    response = buyer.get(f"/api/tickets/{ticket.pk}/wallet/google")

    assert response.status_code == 200, response.content
    url = response.json()["url"]
    assert url.startswith("https://pay.google.com/gp/v/save/")
    claims = jwt.decode(url.rsplit("/", 1)[1], google_wallet, algorithms=["RS256"],
                        audience="google")
    assert (claims["iss"], claims["typ"]) == ("wallet@hns-wallet.iam.gserviceaccount.com",
                                              "savetowallet")
    assert claims["origins"] == ["https://ulaznice.hns.hr"]
    [ticket_object] = claims["payload"]["eventTicketObjects"]
    [event] = claims["payload"]["eventTicketClasses"]
    assert ticket_object["classId"] == event["id"] == f"3388000000012345678.match-{ticket.match_id}"
    assert ticket_object["barcode"]["value"] == qr_payload(ticket)
    assert ticket_object["ticketHolderName"] == ticket.holder_name
    assert ticket_object["seatInfo"]["seat"]["defaultValue"]["value"] == str(
        ticket.inventory.seat_number)


def test_no_pass_before_the_qr_is_visible(apple_wallet, google_wallet, buyer, ticket):
    Match.objects.filter(pk=ticket.match_id).update(kick_off_time=timezone.now()
                                                    + timedelta(days=2))
    for kind in ("apple", "google"):
        response = buyer.get(f"/api/tickets/{ticket.pk}/wallet/{kind}")
        assert response.status_code == 409
        assert response.json()["error"] == "pass_not_yet_available"


def test_a_cancelled_ticket_has_no_pass(apple_wallet, buyer, ticket):
    ticket.__class__.objects.filter(pk=ticket.pk).update(status=TicketStatus.CANCELLED)
    response = buyer.get(f"/api/tickets/{ticket.pk}/wallet/apple")
    assert response.status_code == 409 and response.json()["error"] == "ticket_not_valid"


def test_a_transferred_ticket_gets_a_new_pass_and_the_old_one_is_never_served(
        apple_wallet, buyer, paid):
    order = paid(1)
    ticket = order.tickets.get()
    old_serial = f"{ticket.pk}-{ticket.barcode}"
    assert transfer(buyer, ticket).status_code == 200  # days before the match
    ticket.refresh_from_db()
    Match.objects.filter(pk=order.match_id).update(kick_off_time=timezone.now()
                                                    + timedelta(hours=2))

    archive = zipfile.ZipFile(io.BytesIO(buyer.get(f"/api/tickets/{ticket.pk}/wallet/apple")
                                         .content))
    data = json.loads(archive.read("pass.json"))
    assert data["serialNumber"] == f"{ticket.pk}-{ticket.barcode}" != old_serial
    assert data["barcodes"][0]["message"] == qr_payload(ticket)  # the new code, the new holder
    assert data["barcodes"][0]["altText"] == "Ivana Babić"


def test_someone_elses_ticket_is_not_found(apple_wallet, other_fan, ticket):
    assert other_fan.get(f"/api/tickets/{ticket.pk}/wallet/apple").status_code == 404


def test_without_certificates_the_pass_is_unavailable(buyer, ticket, settings):
    settings.APPLE_WALLET_CERT_FILE = ""
    response = buyer.get(f"/api/tickets/{ticket.pk}/wallet/apple")
    assert response.status_code == 503 and response.json()["error"] == "wallet_not_configured"
