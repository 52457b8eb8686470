"""Personal data at rest: OIB and passport numbers are Fernet-encrypted (MultiFernet, so keys
rotate: the first key in FIELD_ENCRYPTION_KEYS encrypts, every key decrypts), and each sits
beside a keyed HMAC-SHA256 hash used for uniqueness and lookups. Logs and audit events show an
OIB only as its last 4 digits; a passport number never leaves the database."""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return _current().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "Cannot decrypt a personal-data field: none of FIELD_ENCRYPTION_KEYS fits."
        ) from exc


def reencrypt(token: str) -> str:
    """Re-encrypt with the newest key (for key rotation)."""
    return _current().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """Stable lookup hash; empty input hashes to empty so "not set" never collides."""
    if not value:
        return ""
    return hmac.new(settings.FIELD_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def mask(value: str | None, visible: int = 4) -> str:
    if not value:
        return ""
    return "*" * max(len(value) - visible, 0) + value[-visible:]


def mask_email(email: str | None) -> str:
    """`a***@example.com`: enough for a caller to recognise their address."""
    name, _, domain = (email or "").partition("@")
    return f"{name[:1]}***@{domain}" if domain else ""


class EncryptedTextField(models.TextField):
    """Stores ciphertext, hands Python code the plaintext. Never filter on it: use its hash."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
