"""A local e-računi: a small HTTP server speaking the JSON API as e-računi documents it (one
URL, {"username", "md5pass", "token", "method", "parameters"} in, {"response": {"status",
"result" | "description"}} out), with its error answers, a 500 and a timeout on request; and
deferred (quota) orders to group into payment offers."""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.payments.conftest import closed_port  # noqa: F401 (fixture)
from tests.quotas.conftest import HOLDER_EMAIL, make_quota, numbered_match
from tests.quotas.test_claims import claimed_to_holders
from tests.ticketing.aftersale.conftest import paid, supervisor  # noqa: F401 (fixtures)
from tests.ticketing.test_checkout import buyer, buyer_profile, local_payments  # noqa: F401
from ticketing.models import Order

USERNAME, PASSWORD, TOKEN = "HNS", "s3cret", "0123456789ABCDEF0123456789ABCDEF"


class _EracuniHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        method, parameters = body.get("method", ""), body.get("parameters", {})
        with server.lock:
            server.requests.append(body)
            fault = server.faults.pop(method, None)
        if fault == "500":
            return self.reply(500, {"response": {"status": "error",
                                                 "description": "Internal error"}})
        if fault == "timeout":
            time.sleep(server.slow_seconds)
        if fault == "error":
            return self.reply(200, {"response": {
                "status": "error", "description": "Buyer tax number is not valid"}})
        if (body.get("username"), body.get("md5pass"), body.get("token")) != server.login:
            return self.reply(200, {"response": {"status": "error",
                                                 "description": "Login failed"}})
        with server.lock:
            result = self.answer(method, parameters)
        if fault == "lost":  # e-računi made it, but the answer never arrives in time
            time.sleep(server.slow_seconds)
        self.reply(200, {"response": {"status": "ok", "result": result}})

    def answer(self, method: str, parameters: dict) -> dict:
        server = self.server
        kind = "SalesQuote" if method.startswith("SalesQuote") else "SalesInvoice"
        if method.endswith("Create"):
            document = parameters[kind]
            server.next_id += 1
            doc_id = str(server.next_id)
            server.documents[doc_id] = {
                "kind": kind, "documentID": doc_id, "number": f"2026-{server.next_id:05d}",
                "orderReference": document.get("orderReference"), "status": "IssuedInvoice",
                "JIR": "", "document": document}
            return {"documentID": doc_id, "number": server.documents[doc_id]["number"]}
        if method.endswith("List"):
            rows = [{"documentID": d["documentID"], "number": d["number"]}
                    for d in server.documents.values()
                    if d["kind"] == kind and d["orderReference"] == parameters["orderReference"]]
            return {f"{kind}List": rows}
        document = server.documents[parameters["documentID"]]
        if method.endswith("Get"):
            return {kind: {"number": document["number"], "status": document["status"],
                           "JIR": document["JIR"]}}
        if method == "SalesInvoiceGetPublicURL":
            return {"url": f"https://e-racuni.example/pdf/{document['documentID']}"}
        if method == "SalesQuoteSendByEmail":
            document["emailed_to"] = parameters["recipients"]
            return {}
        raise AssertionError(f"unexpected method {method}")

    def reply(self, status: int, body: dict):
        try:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def eracuni(settings):
    """The local e-računi, configured. `faults[method] = "500" | "timeout" | "error" | "lost"`
    makes the next call of that method fail that way; `created(kind)` lists what it made."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EracuniHandler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.requests, server.documents, server.faults, server.next_id = [], {}, {}, 0
    server.slow_seconds = 1.5
    server.login = (USERNAME, hashlib.md5(PASSWORD.encode()).hexdigest(), TOKEN)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    settings.ERACUNI_API_URL = f"http://127.0.0.1:{server.server_address[1]}/WebServicesHR/API"
    settings.ERACUNI_USERNAME, settings.ERACUNI_PW, settings.ERACUNI_TOKEN = (
        USERNAME, PASSWORD, TOKEN)
    settings.ERACUNI_TIMEOUT_SECONDS = 0.5
    server.calls = lambda method: [r for r in server.requests if r["method"] == method]
    server.created = lambda kind: [d for d in server.documents.values() if d["kind"] == kind]

    def fiscalize(number: str, jir: str = "a1b2c3d4-jir") -> None:
        document = next(d for d in server.documents.values() if d["number"] == number)
        document["status"], document["JIR"] = "FiscalizedInvoice", jir

    server.fiscalize = fiscalize
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_eracuni(settings):
    settings.ERACUNI_USERNAME = settings.ERACUNI_PW = settings.ERACUNI_TOKEN = ""


@pytest.fixture
def deferred_orders(login, settings, email_templates, django_capture_on_commit_callbacks):
    """deferred_orders(n) -> n COMPLETED quota orders of the holder (vip@sponsor.hr) on account:
    2 seats each at 40.00 plus the fee, owed as debts."""
    settings.PAYMENTS_PROVIDER = "local"
    holder = login(HOLDER_EMAIL)
    match = numbered_match()

    def make(n: int = 1) -> list[Order]:
        made = []
        for _ in range(n):
            quota = make_quota(match, quantity=2, deferred_payment=True)
            claimed_to_holders(holder, quota, 2)
            with django_capture_on_commit_callbacks(execute=True):
                response = holder.post(f"/api/quota-portal/quotas/{quota.pk}/payment", {},
                                       format="json")
            assert response.status_code in (200, 201), response.content
            made.append(Order.objects.filter(debt__isnull=False).latest("pk"))
        return made

    make.holder = holder
    return make
