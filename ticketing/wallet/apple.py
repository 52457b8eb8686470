"""Apple Wallet: a signed .pkpass (a zip of pass.json, images, manifest.json with each file's
SHA-1, and `signature`: a detached PKCS#7 (DER) signature of the manifest by the pass type
certificate, carrying Apple's WWDR intermediate), as Apple's "Building a Pass" describes.
Signed with `cryptography`; configured by APPLE_WALLET_CERT_FILE, APPLE_WALLET_KEY_FILE
(PEM; APPLE_WALLET_KEY_PASSWORD if encrypted), APPLE_WALLET_WWDR_FILE, APPLE_WALLET_PASS_TYPE_ID
and APPLE_WALLET_TEAM_ID."""

import hashlib
import io
import json
import zipfile
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.conf import settings
from PIL import Image, ImageDraw

from core.errors import ServiceUnavailable
from ticketing.wallet.content import PassContent, organization

NAVY, WHITE = (11, 35, 84), (255, 255, 255)


def apple_configured() -> bool:
    return all((settings.APPLE_WALLET_CERT_FILE, settings.APPLE_WALLET_KEY_FILE,
                settings.APPLE_WALLET_WWDR_FILE, settings.APPLE_WALLET_PASS_TYPE_ID,
                settings.APPLE_WALLET_TEAM_ID))


def pass_json(content: PassContent) -> dict:
    seat = [{"key": "sector", "label": "SEKTOR", "value": content.sector}]
    if content.row:
        seat += [{"key": "row", "label": "RED", "value": content.row},
                 {"key": "seat", "label": "SJEDALO", "value": content.seat}]
    return {
        "formatVersion": 1,
        "passTypeIdentifier": settings.APPLE_WALLET_PASS_TYPE_ID,
        "teamIdentifier": settings.APPLE_WALLET_TEAM_ID,
        "serialNumber": content.serial,
        "organizationName": organization(),
        "description": f"Ulaznica: {content.match}",
        "logoText": organization(),
        "foregroundColor": "rgb(255, 255, 255)",
        "backgroundColor": "rgb(11, 35, 84)",
        "relevantDate": content.kick_off.isoformat(),
        "eventTicket": {
            "primaryFields": [{"key": "match", "label": "UTAKMICA", "value": content.match}],
            "secondaryFields": seat,
            "auxiliaryFields": [
                {"key": "kickoff", "label": "POČETAK", "value": content.kick_off.isoformat(),
                 "dateStyle": "PKDateStyleMedium", "timeStyle": "PKDateStyleShort"},
                {"key": "holder", "label": "VLASNIK", "value": content.holder}],
            "backFields": [{"key": "venue", "label": "Stadion", "value": content.venue},
                           {"key": "order", "label": "Narudžba", "value": content.order_number}],
        },
        "barcodes": [{"format": "PKBarcodeFormatQR", "message": content.qr,
                      "messageEncoding": "iso-8859-1", "altText": content.holder}],
    }


@lru_cache(maxsize=1)
def _images() -> dict[str, bytes]:
    """The icon and logo every pass needs: drawn once, the federation's navy with its initials."""
    files = {}
    for name, size in (("icon.png", 29), ("icon@2x.png", 58), ("logo.png", 160),
                       ("logo@2x.png", 320)):
        image = Image.new("RGB", (size, size // 3 if name.startswith("logo") else size), NAVY)
        ImageDraw.Draw(image).text((2, 2), organization()[:3], fill=WHITE)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        files[name] = buffer.getvalue()
    return files


def _signer():
    with open(settings.APPLE_WALLET_CERT_FILE, "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    with open(settings.APPLE_WALLET_KEY_FILE, "rb") as handle:
        password = settings.APPLE_WALLET_KEY_PASSWORD.encode() or None
        key = serialization.load_pem_private_key(handle.read(), password=password)
    with open(settings.APPLE_WALLET_WWDR_FILE, "rb") as handle:
        wwdr = x509.load_pem_x509_certificate(handle.read())
    return certificate, key, wwdr


def pkpass(content: PassContent) -> bytes:
    """The .pkpass file for `content`."""
    if not apple_configured():
        raise ServiceUnavailable("Apple Wallet passes are not set up on this server.",
                                 code="wallet_not_configured")
    files = {"pass.json": json.dumps(pass_json(content), ensure_ascii=False).encode()}
    files |= _images()
    manifest = json.dumps({name: hashlib.sha1(data).hexdigest()
                           for name, data in files.items()}).encode()
    certificate, key, wwdr = _signer()
    signature = (pkcs7.PKCS7SignatureBuilder().set_data(manifest)
                 .add_signer(certificate, key, hashes.SHA256()).add_certificate(wwdr)
                 .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                                    pkcs7.PKCS7Options.Binary]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest)
        archive.writestr("signature", signature)
    return buffer.getvalue()
