"""Google Wallet: an "Add to Google Wallet" link, https://pay.google.com/gp/v/save/<JWT>, the
JWT (RS256, google-auth) signed with the service account's key and carrying the event ticket
class (the match) and object (the ticket), as Google's Wallet API describes for passes created
through the link. Configured by GOOGLE_WALLET_SERVICE_ACCOUNT_FILE and GOOGLE_WALLET_ISSUER_ID
(GOOGLE_WALLET_ORIGINS: the sites allowed to show the button)."""

import json
import re

from django.conf import settings
from google.auth import crypt, jwt

from core.errors import ServiceUnavailable
from ticketing.wallet.content import PassContent, organization

SAVE_URL = "https://pay.google.com/gp/v/save/"


def google_configured() -> bool:
    return bool(settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE and settings.GOOGLE_WALLET_ISSUER_ID)


def _id(value: str) -> str:
    """Google's ids: the issuer id, a dot, then letters, digits, '.', '_' or '-'."""
    return f"{settings.GOOGLE_WALLET_ISSUER_ID}.{re.sub(r'[^A-Za-z0-9._-]', '_', value)}"


def _text(value: str) -> dict:
    return {"defaultValue": {"language": "hr", "value": value}}


def claims(content: PassContent, *, service_account_email: str) -> dict:
    class_id = _id(f"match-{content.match_id}")
    seat = {"section": _text(content.sector)}
    if content.row:
        seat |= {"row": _text(content.row), "seat": _text(content.seat)}
    return {
        "iss": service_account_email, "aud": "google", "typ": "savetowallet",
        "origins": list(settings.GOOGLE_WALLET_ORIGINS),
        "payload": {
            "eventTicketClasses": [{
                "id": class_id, "issuerName": organization(),
                "eventName": _text(content.match),
                "venue": {"name": _text(content.venue or "—"), "address": _text("—")},
                "dateTime": {"start": content.kick_off.isoformat()},
                "reviewStatus": "UNDER_REVIEW"}],
            "eventTicketObjects": [{
                "id": _id(f"ticket-{content.serial}"), "classId": class_id, "state": "ACTIVE",
                "ticketHolderName": content.holder, "ticketNumber": content.order_number,
                "seatInfo": seat,
                "barcode": {"type": "QR_CODE", "value": content.qr,
                            "alternateText": content.holder}}],
        },
    }


def save_link(content: PassContent) -> str:
    if not google_configured():
        raise ServiceUnavailable("Google Wallet passes are not set up on this server.",
                                 code="wallet_not_configured")
    with open(settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE) as handle:
        account = json.load(handle)
    signer = crypt.RSASigner.from_service_account_info(account)
    token = jwt.encode(signer, claims(content, service_account_email=account["client_email"]))
    return SAVE_URL + token.decode()
