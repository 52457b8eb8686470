"""A local server speaking Stripe's documented REST shapes (form-encoded requests, JSON replies)
for POST /v1/payment_intents and POST /v1/refunds, plus helpers to sign webhooks the way Stripe
does. Like Stripe, it answers a repeated Idempotency-Key with the first reply."""

import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from payments import signals

WEBHOOK_SECRET = "whsec_test_secret"


class _StripeHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = {key: values[0] for key, values in parse_qs(raw).items()}
        key = self.headers.get("Idempotency-Key")
        with server.lock:
            server.requests.append({"path": self.path, "form": form, "idempotency_key": key,
                                    "authorization": self.headers.get("Authorization")})
            if server.failures.get(self.path):  # an outage: Stripe's 500, not to be retried
                server.failures[self.path] -= 1
                return self.reply(500, {"error": {"type": "api_error",
                                                  "message": "Something went wrong"}},
                                  headers={"Stripe-Should-Retry": "false"})
            if (self.path, key) in server.replies_by_key:
                return self.reply(200, server.replies_by_key[(self.path, key)])
            if self.path == "/v1/payment_intents":
                intent_id = f"pi_{secrets.token_hex(8)}"
                body = {"id": intent_id, "object": "payment_intent",
                        "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                        "status": "requires_payment_method", "amount": int(form["amount"]),
                        "currency": form["currency"],
                        "metadata": {"reference": form.get("metadata[reference]")}}
            elif self.path == "/v1/refunds":
                if server.refund_declines:  # Stripe's 400, e.g. the charge is disputed
                    server.refund_declines -= 1
                    return self.reply(400, {"error": {
                        "type": "invalid_request_error", "code": "charge_disputed",
                        "message": "Charge ch_1 has been charged back; cannot issue a refund."}})
                body = {"id": f"re_{secrets.token_hex(8)}", "object": "refund",
                        "status": server.refund_status, "amount": int(form["amount"]),
                        "payment_intent": form["payment_intent"],
                        "metadata": {name[len("metadata["):-1]: value
                                     for name, value in form.items()
                                     if name.startswith("metadata[")}}
            else:
                return self.reply(404, {"error": {"type": "invalid_request_error",
                                                  "message": "Unrecognized request URL"}})
            server.replies_by_key[(self.path, key)] = body
            return self.reply(200, body)

    def reply(self, status: int, body: dict, headers: dict | None = None):
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def stripe_server(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StripeHandler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.requests, server.replies_by_key = [], {}
    server.failures = {}  # path -> how many of its next requests fail with a 500
    server.refund_status = "succeeded"  # what a new refund reports ("pending" waits a webhook)
    server.refund_declines = 0  # how many of the next refunds Stripe refuses with a 400
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    server.calls = lambda path: [r for r in server.requests if r["path"] == path]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<time>,v1=hex(HMAC-SHA256(secret, "<time>.<body>"))."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event(event_type: str, obj: dict, event_id: str | None = None) -> bytes:
    return json.dumps({"id": event_id or f"evt_{secrets.token_hex(8)}", "object": "event",
                       "type": event_type, "created": int(time.time()), "livemode": False,
                       "data": {"object": obj}}).encode()


def intent_event(event_type: str, payment, event_id: str | None = None, **fields) -> bytes:
    return event(event_type, {"id": payment.provider_payment_id, "object": "payment_intent",
                              "amount": int(payment.amount * 100), "currency": "eur",
                              "metadata": {"reference": payment.reference}, **fields},
                 event_id)


@pytest.fixture
def sent():
    """Every payments signal sent during the test, as (name, payment id)."""
    received, lock = [], threading.Lock()
    receivers = {}
    for name in ("payment_succeeded", "payment_failed", "payment_refunded"):
        def receiver(sender, payment, name=name, **kwargs):
            with lock:
                received.append((name, payment.pk))
        receivers[name] = receiver
        getattr(signals, name).connect(receiver, weak=False)
    yield received
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)
