"""Firebase Cloud Messaging HTTP v1 client.

Configured by FCM_SERVICE_ACCOUNT_FILE (a Google service-account JSON; its `token_uri` is where
the OAuth2 access token comes from) and optionally FCM_PROJECT_ID (default: the file's
project_id). google-auth signs the service-account assertion and caches the access token."""

from dataclasses import dataclass
from functools import lru_cache

import requests
from django.conf import settings
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# FCM v1 error codes that mean the token will never work again.
DEAD_TOKEN_CODES = {"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"}


class FcmError(Exception):
    def __init__(self, message: str, *, retryable: bool, dead_token: bool = False):
        super().__init__(message)
        self.retryable = retryable
        self.dead_token = dead_token


@dataclass
class FcmClient:
    credentials: service_account.Credentials
    project_id: str
    api_url: str
    timeout: float

    def __post_init__(self):
        self.http = requests.Session()

    def send(self, *, token: str, title: str, body: str, data: dict, high_priority: bool) -> str:
        """Send one message; returns FCM's message name (its id)."""
        message = {
            "token": token,
            "notification": {"title": title, "body": body},
            "data": {str(k): str(v) for k, v in data.items()},
            "android": {"priority": "HIGH" if high_priority else "NORMAL"},
            "apns": {"headers": {"apns-priority": "10" if high_priority else "5"}},
        }
        try:
            if not self.credentials.valid:
                self.credentials.refresh(GoogleRequest(self.http))
            response = self.http.post(
                f"{self.api_url.rstrip('/')}/v1/projects/{self.project_id}/messages:send",
                json={"message": message},
                headers={"Authorization": f"Bearer {self.credentials.token}"},
                timeout=self.timeout,
            )
        except Exception as exc:  # network, DNS, OAuth endpoint down: worth retrying
            raise FcmError(f"FCM unreachable: {exc}", retryable=True) from exc
        if response.status_code == 200:
            return response.json()["name"]
        raise _error_from(response)


def _error_from(response) -> FcmError:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    codes = {error.get("status", "")}
    codes |= {d.get("errorCode", "") for d in error.get("details", []) if isinstance(d, dict)}
    message = f"FCM {response.status_code}: {error.get('message') or response.text[:200]}"
    retryable = response.status_code == 429 or response.status_code >= 500
    return FcmError(message, retryable=retryable, dead_token=bool(codes & DEAD_TOKEN_CODES))


def fcm_configured() -> bool:
    return bool(settings.FCM_SERVICE_ACCOUNT_FILE)


def fcm_client() -> FcmClient:
    return _client(settings.FCM_SERVICE_ACCOUNT_FILE, settings.FCM_PROJECT_ID,
                   settings.FCM_API_URL, settings.FCM_TIMEOUT_SECONDS)


@lru_cache(maxsize=2)
def _client(path: str, project_id: str, api_url: str, timeout: float) -> FcmClient:
    credentials = service_account.Credentials.from_service_account_file(path, scopes=[SCOPE])
    return FcmClient(credentials, project_id or credentials.project_id, api_url, timeout)
