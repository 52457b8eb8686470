"""A client for the e-računi web API (JSON), as its documentation describes it: every call is a
POST of {"username", "md5pass", "token", "method", "parameters"} to one URL
(https://e-racuni.com/WebServicesHR/API for Croatia), answered by
{"response": {"status": "ok", "result": …}} or {"response": {"status": "error",
"description": …}}. Methods used: SalesQuoteCreate / SalesQuoteSendByEmail / SalesQuoteGet /
SalesQuoteList (payment offers), SalesInvoiceCreate / SalesInvoiceGet / SalesInvoiceList /
SalesInvoiceGetPublicURL (invoices; a credit note is a sales invoice of negative amounts that
names the invoice it corrects).

Configured by ERACUNI_API_URL, ERACUNI_USERNAME, ERACUNI_PW (the password: e-računi takes its
MD5), ERACUNI_TOKEN and ERACUNI_TIMEOUT_SECONDS. Errors: `EracuniUnavailable` for what may work
later (a timeout, no connection, a 5xx: the task retries with backoff), `EracuniRefused` for an
answer that will not change (e-računi's "error" status, a 4xx): the document keeps the message.
Retrying is the caller's (Celery's): a create is only retried after `find` says e-računi has no
document with our reference, so a lost answer never makes a second invoice."""

import hashlib
from dataclasses import dataclass

import requests
from django.conf import settings

# What each kind of document is called in the method names, and the parameter it is sent in.
KINDS = {"quote": "SalesQuote", "invoice": "SalesInvoice"}


class EracuniError(Exception):
    retryable = False


class EracuniUnavailable(EracuniError):
    retryable = True


class EracuniRefused(EracuniError):
    pass


@dataclass(frozen=True)
class Created:
    document_id: str
    number: str


@dataclass(frozen=True)
class Status:
    status: str  # e-računi's own word, e.g. "IssuedInvoice", "Cancelled"
    fiscalization_id: str  # the JIR, once the tax authority has it
    cancelled: bool


def eracuni_configured() -> bool:
    return bool(settings.ERACUNI_USERNAME and settings.ERACUNI_PW and settings.ERACUNI_TOKEN)


class EracuniClient:
    def __init__(self, *, url: str, username: str, password: str, token: str, timeout: float):
        self.url, self.username, self.token, self.timeout = url, username, token, timeout
        self.md5pass = hashlib.md5(password.encode()).hexdigest()
        self.http = requests.Session()

    @classmethod
    def from_settings(cls) -> "EracuniClient":
        return cls(url=settings.ERACUNI_API_URL, username=settings.ERACUNI_USERNAME,
                   password=settings.ERACUNI_PW, token=settings.ERACUNI_TOKEN,
                   timeout=settings.ERACUNI_TIMEOUT_SECONDS)

    def call(self, method: str, parameters: dict) -> dict | list:
        body = {"username": self.username, "md5pass": self.md5pass, "token": self.token,
                "method": method, "parameters": parameters}
        try:
            answer = self.http.post(self.url, json=body, timeout=self.timeout)
        except requests.Timeout as exc:
            raise EracuniUnavailable(f"{method}: e-računi did not answer in time") from exc
        except requests.RequestException as exc:
            raise EracuniUnavailable(f"{method}: cannot reach e-računi ({exc})") from exc
        if answer.status_code >= 500:
            raise EracuniUnavailable(f"{method}: e-računi answered {answer.status_code}")
        try:
            response = answer.json()["response"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EracuniUnavailable(f"{method}: e-računi's answer could not be read "
                                     f"(HTTP {answer.status_code})") from exc
        if answer.status_code >= 400 or response.get("status") != "ok":
            detail = response.get("description") or response.get("message") or "refused"
            raise EracuniRefused(f"{method}: {detail}")
        return response.get("result") or {}

    def create(self, kind: str, document: dict) -> Created:
        name = KINDS[kind]
        result = self.call(f"{name}Create", {name: document})
        return Created(document_id=str(result["documentID"]), number=str(result["number"]))

    def find(self, kind: str, reference: str) -> Created | None:
        """The document e-računi already has with our reference (`orderReference`), if any."""
        name = KINDS[kind]
        result = self.call(f"{name}List", {"orderReference": reference})
        rows = result.get(f"{name}List", []) if isinstance(result, dict) else result
        if not rows:
            return None
        return Created(document_id=str(rows[0]["documentID"]), number=str(rows[0]["number"]))

    def status(self, kind: str, document_id: str) -> Status:
        name = KINDS[kind]
        result = self.call(f"{name}Get", {"documentID": document_id})
        document = result.get(name, result)
        word = str(document.get("status", ""))
        return Status(status=word, fiscalization_id=str(document.get("JIR") or ""),
                      cancelled=word.lower() in {"cancelled", "canceled", "stornoinvoice"})

    def public_url(self, document_id: str) -> str:
        return str(self.call("SalesInvoiceGetPublicURL", {"documentID": document_id})["url"])

    def send_quote_by_email(self, document_id: str, email: str) -> None:
        self.call("SalesQuoteSendByEmail", {"documentID": document_id, "recipients": [email]})
