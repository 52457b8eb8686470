"""Verifying the federation webshop's (Drupal) SSO tokens: RS256 JWTs checked for signature,
issuer, audience and expiry against a JWKS URL or a configured public key. A successful check
is cached for 5 minutes (never past the token's own expiry), so a rush of logins does not turn
into a rush of calls to the webshop.

Embedded default: with no key configured, a local RSA key is generated on first use and
`manage.py mint_sso_token` signs fan tokens with it, so the demo works without the webshop."""

import hashlib
import time
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache

from core.errors import ServiceUnavailable, Unauthenticated

REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub", "email"]


def sso_token_verify(token: str) -> dict:
    """The token's claims, or Unauthenticated (401) / ServiceUnavailable (503)."""
    if not token:
        raise Unauthenticated("drupal_token is required.", code="sso_token_invalid",
                              field="drupal_token")
    cache_key = "sso:valid:" + hashlib.sha256(token.encode()).hexdigest()
    claims = cache.get(cache_key)
    if claims is not None:
        return claims
    try:
        claims = jwt.decode(
            token,
            _verification_key(token),
            algorithms=["RS256"],
            audience=settings.SSO_AUDIENCE,
            issuer=settings.SSO_ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise ServiceUnavailable(
            "The federation's login service (SSO) cannot be reached; please try again shortly.",
            code="sso_unavailable",
        ) from exc
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("Your webshop login has expired; please sign in again.",
                              code="sso_token_expired", field="drupal_token") from exc
    except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
        raise Unauthenticated(f"The webshop login token is not valid: {exc}.",
                              code="sso_token_invalid", field="drupal_token") from exc
    ttl = min(settings.SSO_VALIDATION_CACHE_SECONDS, int(claims["exp"] - time.time()))
    if ttl > 0:
        cache.set(cache_key, claims, ttl)
    return claims


def _verification_key(token: str):
    if settings.SSO_JWKS_URL:
        return _jwks_client(settings.SSO_JWKS_URL).get_signing_key_from_jwt(token).key
    if settings.SSO_PUBLIC_KEY:
        return settings.SSO_PUBLIC_KEY
    if settings.SSO_PUBLIC_KEY_FILE:
        return Path(settings.SSO_PUBLIC_KEY_FILE).read_text()
    return local_signing_key().public_key()


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=settings.SSO_TIMEOUT_SECONDS)


def local_signing_key() -> rsa.RSAPrivateKey:
    """The embedded default's SSO key, created on first use (never used in production)."""
    return _load_or_create_key(settings.SSO_LOCAL_SIGNING_KEY_FILE)


@lru_cache(maxsize=2)
def _load_or_create_key(filename: str) -> rsa.RSAPrivateKey:
    path = Path(filename)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def local_sso_token_mint(*, email: str, drupal_user_id: str, status: str = "active",
                         lifetime_seconds: int = 3600) -> str:
    """A webshop-style token signed with the local key: the demo's and the tests' login."""
    now = int(time.time())
    claims = {
        "iss": settings.SSO_ISSUER,
        "aud": settings.SSO_AUDIENCE,
        "sub": str(drupal_user_id),
        "email": email,
        "status": status,
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, local_signing_key(), algorithm="RS256")
