"""SSO against the webshop's JWKS URL, served here by a real HTTP server on 127.0.0.1, so the
tests cover fetching, key selection by `kid`, outages and caching."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from jwt.algorithms import RSAAlgorithm

from ticketing import sso
from ticketing.models import User

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
KID = "webshop-2030"


class JwksServer:
    """Serves one JWKS document and counts how often it was fetched."""

    def __init__(self, jwks: dict):
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits += 1
                body = json.dumps(jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        # A short poll interval keeps stop() (which waits for the next poll) fast.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()


@pytest.fixture(scope="module")
def webshop_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stranger_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(autouse=True)
def _fresh_jwks_client():
    # PyJWKClient instances (and their key caches) are kept per URL for the process.
    sso._jwks_client.cache_clear()
    yield
    sso._jwks_client.cache_clear()


@pytest.fixture
def webshop(webshop_key, settings):
    jwk = RSAAlgorithm.to_jwk(webshop_key.public_key(), as_dict=True)
    server = JwksServer({"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]})
    settings.SSO_JWKS_URL = server.url
    yield server
    server.stop()


def webshop_token(key, *, kid=KID, email="fan@example.com", sub="drupal-7") -> str:
    now = int(time.time())
    claims = {
        "iss": settings.SSO_ISSUER,
        "aud": settings.SSO_AUDIENCE,
        "sub": sub,
        "email": email,
        "status": "1",
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_token_signed_with_the_published_key_logs_in(api, webshop, webshop_key):
    response = api.post(LOGIN, {"drupal_token": webshop_token(webshop_key)}, format="json")

    assert response.status_code == 200
    assert response.json()["user"]["drupal_user_id"] == "drupal-7"
    assert webshop.hits == 1


def test_a_token_whose_signature_does_not_match_is_refused(api, webshop, stranger_key):
    response = api.post(LOGIN, {"drupal_token": webshop_token(stranger_key)}, format="json")

    assert response.status_code == 401
    assert response.json()["error"] == "sso_token_invalid"
    assert not User.objects.exists()


def test_a_token_naming_an_unknown_key_is_refused(api, webshop, webshop_key):
    response = api.post(
        LOGIN, {"drupal_token": webshop_token(webshop_key, kid="retired")}, format="json"
    )

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "sso_token_invalid"
    assert "retired" in body["detail"]


def test_it_answers_503_when_the_webshop_cannot_be_reached(api, settings, webshop_key):
    settings.SSO_JWKS_URL = f"http://127.0.0.1:{closed_port()}/.well-known/jwks.json"

    response = api.post(LOGIN, {"drupal_token": webshop_token(webshop_key)}, format="json")

    assert response.status_code == 503
    assert response.json() == {
        "error": "sso_unavailable",
        "detail": "The federation's login service (SSO) cannot be reached; "
        "please try again shortly.",
        "fields": {},
    }
    assert not User.objects.exists()


def test_a_validated_token_still_logs_in_while_the_webshop_is_down(api, webshop, webshop_key):
    token = webshop_token(webshop_key)
    assert api.post(LOGIN, {"drupal_token": token}, format="json").status_code == 200
    webshop.stop()

    response = api.post(LOGIN, {"drupal_token": token}, format="json")

    assert response.status_code == 200
    assert webshop.hits == 1


def test_a_new_token_is_checked_against_the_cached_keys_while_the_webshop_is_down(
    api, webshop, webshop_key
):
    first = webshop_token(webshop_key, email="one@example.com", sub="drupal-1")
    assert api.post(LOGIN, {"drupal_token": first}, format="json").status_code == 200
    webshop.stop()

    second = webshop_token(webshop_key, email="two@example.com", sub="drupal-2")
    response = api.post(LOGIN, {"drupal_token": second}, format="json")

    assert response.status_code == 200
    assert response.json()["user"]["email"] == "two@example.com"
    assert webshop.hits == 1
