"""Push notifications (E15-F2): device registration, and delivery through FCM HTTP v1, which is
played here by a local HTTP server speaking Google's OAuth2 token endpoint and messages:send."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core import fcm
from core.models import PushLog, PushPriority, PushStatus, PushToken
from core.notifications import push_send, push_send_many, push_token_register
from core.tasks import push_deliver

PROJECT = "demo-project"
CLIENT_EMAIL = "push@demo-project.iam.gserviceaccount.com"

UNREGISTERED = {"error": {
    "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
    "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                 "errorCode": "UNREGISTERED"}],
}}
UNAVAILABLE = {"error": {"code": 503, "message": "The service is currently unavailable.",
                         "status": "UNAVAILABLE"}}


class _FcmHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/token":
            form = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
            server.token_requests.append(form)
            return self.reply(200, {"access_token": "test-token", "expires_in": 3600,
                                    "token_type": "Bearer"})
        match = re.fullmatch(r"/v1/projects/([^/]+)/messages:send", self.path)
        if match is None:
            return self.reply(404, {"error": {"code": 404, "status": "NOT_FOUND"}})
        if self.headers.get("Authorization") != "Bearer test-token":
            return self.reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        server.sends.append({"project": match[1], **json.loads(raw)})
        if server.replies:
            return self.reply(*server.replies.pop(0))
        return self.reply(200, {"name": f"projects/{match[1]}/messages/123"})

    def reply(self, status: int, body: dict):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fcm_server(settings, tmp_path, private_key):
    """A running fake FCM; `replies` queues (status, body) answers for messages:send."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FcmHandler)
    server.daemon_threads = True
    server.token_requests, server.sends, server.replies = [], [], []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.token_uri = f"{base}/token"
    pem = private_key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    account = tmp_path / "service-account.json"
    account.write_text(json.dumps({
        "type": "service_account", "project_id": PROJECT, "private_key_id": "key-1",
        "private_key": pem, "client_email": CLIENT_EMAIL, "client_id": "1234567890",
        "token_uri": server.token_uri,
    }))
    settings.FCM_SERVICE_ACCOUNT_FILE = str(account)
    settings.FCM_PROJECT_ID = ""
    settings.FCM_API_URL = base
    settings.FCM_TIMEOUT_SECONDS = 2.0
    fcm._client.cache_clear()
    yield server
    fcm._client.cache_clear()
    server.shutdown()
    server.server_close()


@pytest.fixture
def phone(make_user):
    user = make_user("ana@example.com")
    token, _ = push_token_register(user=user, device_id="pixel-8", fcm_token="fcm-token-1",
                                   platform="ANDROID")
    return token


def push(capture, **kwargs) -> list[PushLog]:
    with capture(execute=True):
        logs = push_send(**kwargs)
    for log in logs:
        log.refresh_from_db()
    return logs


def test_a_fan_registers_a_device_and_re_registering_it_updates_the_token(fan):
    first = fan.post("/api/users/me/push-tokens", {"device_id": "iphone-15", "fcm_token": "t-1",
                                                   "platform": "IOS"}, format="json")
    again = fan.post("/api/users/me/push-tokens", {"device_id": "iphone-15", "fcm_token": "t-2",
                                                   "platform": "IOS"}, format="json")

    assert first.status_code == 201
    assert first.json()["device_id"] == "iphone-15"
    assert first.json()["platform"] == "IOS"
    assert first.json()["is_active"] is True
    assert again.status_code == 200
    [token] = PushToken.objects.all()
    assert (token.user, token.fcm_token, token.platform) == (fan.user, "t-2", "IOS")
    assert token.last_used_at is not None


def test_a_device_that_changes_hands_follows_its_newest_user(fan, make_user):
    previous = make_user("previous@example.com")
    old, _ = push_token_register(user=previous, device_id="shared-tablet", fcm_token="old",
                                 platform="ANDROID")
    PushToken.objects.filter(pk=old.pk).update(is_active=False)

    response = fan.post("/api/users/me/push-tokens", {
        "device_id": "shared-tablet", "fcm_token": "new", "platform": "ANDROID"}, format="json")

    assert response.status_code == 200
    token = PushToken.objects.get(pk=old.pk)
    assert (token.user, token.fcm_token, token.is_active) == (fan.user, "new", True)


def test_an_unknown_platform_is_rejected_with_the_field_named(fan):
    response = fan.post("/api/users/me/push-tokens", {"device_id": "d-1", "fcm_token": "t",
                                                      "platform": "WINDOWS_PHONE"}, format="json")

    assert response.status_code == 400
    assert "platform" in response.json()["fields"]
    assert not PushToken.objects.exists()


def test_registering_a_device_needs_a_signed_in_user(api, db):
    response = api.post("/api/users/me/push-tokens", {"device_id": "d-1", "fcm_token": "t",
                                                      "platform": "IOS"}, format="json")

    assert response.status_code == 401


def test_without_fcm_credentials_a_push_is_skipped_and_says_why(
        settings, phone, django_capture_on_commit_callbacks):
    settings.FCM_SERVICE_ACCOUNT_FILE = ""

    [log] = push(django_capture_on_commit_callbacks, user=phone.user,
                 notification_type="queue_turn", title="Your turn", body="Buy now")

    assert log.status == PushStatus.SKIPPED
    assert "FCM_SERVICE_ACCOUNT_FILE" in log.error_message
    assert log.token == phone
    assert not PushLog.objects.exclude(status=PushStatus.SKIPPED).exists()


def test_a_user_without_devices_gets_a_skipped_log(make_user, django_capture_on_commit_callbacks):
    user = make_user()

    [log] = push(django_capture_on_commit_callbacks, user=user, notification_type="queue_turn",
                 title="Your turn", body="Buy now")

    assert log.status == PushStatus.SKIPPED
    assert "no registered device" in log.error_message
    assert log.token is None


@pytest.mark.parametrize(("priority", "android", "apns"), [
    (PushPriority.HIGH, "HIGH", "10"),
    (PushPriority.NORMAL, "NORMAL", "5"),
])
def test_a_push_is_sent_through_fcm_v1(fcm_server, phone, private_key, priority, android, apns,
                                       django_capture_on_commit_callbacks):
    [log] = push(django_capture_on_commit_callbacks, user=phone.user,
                 notification_type="queue_turn", title="Your turn", body="Buy now",
                 data={"queue_id": 7, "kind": "turn"}, priority=priority)

    assert log.status == PushStatus.SENT
    assert log.fcm_message_id == f"projects/{PROJECT}/messages/123"
    assert log.sent_at is not None
    [sent] = fcm_server.sends
    assert sent == {"project": PROJECT, "message": {
        "token": "fcm-token-1",
        "notification": {"title": "Your turn", "body": "Buy now"},
        "data": {"queue_id": "7", "kind": "turn"},
        "android": {"priority": android},
        "apns": {"headers": {"apns-priority": apns}},
    }}
    # The access token came from a JWT bearer grant signed with the service account's key.
    [grant] = fcm_server.token_requests
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt.decode(grant["assertion"], private_key.public_key(), algorithms=["RS256"],
                        options={"verify_aud": False})
    assert claims["iss"] == CLIENT_EMAIL
    assert claims["scope"] == fcm.SCOPE
    phone.refresh_from_db()
    assert phone.last_used_at is not None


def test_one_log_is_sent_per_active_device(fcm_server, phone, django_capture_on_commit_callbacks):
    push_token_register(user=phone.user, device_id="ipad", fcm_token="fcm-token-2",
                        platform="IOS")
    retired, _ = push_token_register(user=phone.user, device_id="old-phone",
                                     fcm_token="fcm-token-3", platform="ANDROID")
    PushToken.objects.filter(pk=retired.pk).update(is_active=False)

    logs = push(django_capture_on_commit_callbacks, user=phone.user, notification_type="news",
                title="News", body="Kick-off moved")

    assert [log.status for log in logs] == [PushStatus.SENT, PushStatus.SENT]
    assert sorted(s["message"]["token"] for s in fcm_server.sends) == ["fcm-token-1",
                                                                      "fcm-token-2"]
    assert len(fcm_server.token_requests) == 1  # the access token is cached between sends


def test_a_batch_reads_every_device_once_and_writes_every_log_at_once(
        fcm_server, phone, make_user, django_capture_on_commit_callbacks,
        django_assert_num_queries):
    push_token_register(user=phone.user, device_id="ipad", fcm_token="fcm-token-2",
                        platform="IOS")
    deviceless = make_user("no-phone@example.com")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, \
            django_assert_num_queries(2):
        logs = push_send_many(users=[phone.user, deviceless], notification_type="queue_turn",
                              title="It's your turn!", body="Buy now")

    assert [(log.user_id, log.status) for log in logs] == [
        (phone.user.pk, PushStatus.QUEUED), (phone.user.pk, PushStatus.QUEUED),
        (deviceless.pk, PushStatus.SKIPPED)]
    assert len(callbacks) == 2  # a delivery task per queued log
    assert sorted(s["message"]["token"] for s in fcm_server.sends) == ["fcm-token-1",
                                                                      "fcm-token-2"]
    assert PushLog.objects.filter(status=PushStatus.SENT).count() == 2


def test_an_unregistered_token_fails_the_push_and_deactivates_the_device(
        fcm_server, phone, django_capture_on_commit_callbacks):
    fcm_server.replies.append((404, UNREGISTERED))

    [log] = push(django_capture_on_commit_callbacks, user=phone.user, notification_type="news",
                 title="News", body="Kick-off moved")

    assert log.status == PushStatus.FAILED
    assert "404" in log.error_message
    assert len(fcm_server.sends) == 1  # a dead token is not retried
    phone.refresh_from_db()
    assert phone.is_active is False


def test_fcm_being_unavailable_is_retried_until_it_gives_up(
        fcm_server, phone, eager_retries, django_capture_on_commit_callbacks):
    fcm_server.replies.extend([(503, UNAVAILABLE)] * (push_deliver.max_retries + 1))

    [log] = push(django_capture_on_commit_callbacks, user=phone.user, notification_type="news",
                 title="News", body="Kick-off moved")

    assert log.status == PushStatus.FAILED
    assert "503" in log.error_message
    assert len(fcm_server.sends) == push_deliver.max_retries + 1
    phone.refresh_from_db()
    assert phone.is_active is True  # an outage says nothing about the token


def test_a_push_is_sent_when_fcm_recovers_on_the_retry(
        fcm_server, phone, eager_retries, django_capture_on_commit_callbacks):
    fcm_server.replies.append((503, UNAVAILABLE))

    [log] = push(django_capture_on_commit_callbacks, user=phone.user, notification_type="news",
                 title="News", body="Kick-off moved")

    assert log.status == PushStatus.SENT
    assert log.fcm_message_id == f"projects/{PROJECT}/messages/123"
    assert len(fcm_server.sends) == 2


def test_delivering_an_already_sent_push_again_sends_nothing(
        fcm_server, phone, django_capture_on_commit_callbacks):
    [log] = push(django_capture_on_commit_callbacks, user=phone.user, notification_type="news",
                 title="News", body="Kick-off moved")

    push_deliver.delay(log.pk)  # a redelivered task

    log.refresh_from_db()
    assert log.status == PushStatus.SENT
    assert len(fcm_server.sends) == 1
