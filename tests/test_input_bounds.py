"""Every free-text input has a bound (core.bounds, or the column's max_length): an oversized
value is a 400 naming the field and nothing is written; a body over DATA_UPLOAD_MAX_MEMORY_SIZE
is a 413 in the API's error shape. One case per API module, plus the two the issue found
(fcm_token took 200,000 characters, a quota's internal_note 1,000,000)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.test import APIClient

from core.bounds import EMAIL_MAX_LENGTH, JSON_MAX_BYTES, NOTE_MAX_LENGTH
from core.models import PushToken
from core.roles import Role
from payments.models import WebhookEvent
from quotas.models import Quota, QuotaClaim
from seating.models import Match, MatchStatus, SalesPhase, SnakeConfig, Stadium
from tests.conftest import sso_token
from tests.quotas.conftest import make_quota, numbered_match
from tests.seating.factories import make_stadium
from ticketing.models import ApiSession, Order, Profile, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_templates")]

# A well-formed address (64-character local part, 63-character labels) that no column holds.
LONG_EMAIL = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".hr"
assert len(LONG_EMAIL) > EMAIL_MAX_LENGTH


@dataclass
class Case:
    client: APIClient
    method: str
    path: str
    body: Any
    field: str
    written: QuerySet  # rows that must not change


def staff(make_user, role) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(roles=[role]))
    return client


def login_token(api, fan, make_user):
    return Case(api, "post", "/api/auth/login",
                {"drupal_token": sso_token("new@example.com") + "x" * 10_000},
                "drupal_token", User.objects.all())


def refresh_token(api, fan, make_user):
    return Case(api, "post", "/api/auth/refresh", {"refresh_token": "x" * 10_000},
                "refresh_token", ApiSession.objects.all())


def fcm_token(api, fan, make_user):
    return Case(fan, "post", "/api/users/me/push-tokens",
                {"device_id": "phone", "fcm_token": "t" * 200_000, "platform": "ANDROID"},
                "fcm_token", PushToken.objects.all())


def profile_email(api, fan, make_user):
    return Case(fan, "post", "/api/users/me/profile",
                {"first_name": "Ana", "last_name": "Horvat", "date_of_birth": "1985-01-09",
                 "nationality": "HR", "oib": "69435151530", "email": LONG_EMAIL},
                "email", Profile.objects.all())


def checkout_holder_email(api, fan, make_user):
    return Case(fan, "post", "/api/checkout",
                {"cart_id": 1, "holders": [{}, {"first_name": "Ivo", "email": LONG_EMAIL}]},
                "holders.1.email", Order.objects.all())


def quota_internal_note(api, fan, make_user):
    match = numbered_match()
    return Case(staff(make_user, Role.QUOTA_MANAGER), "post", "/api/admin/quotas",
                {"match_id": match.pk, "recipient_email": "vip@sponsor.hr", "quantity": 1,
                 "internal_note": "n" * (NOTE_MAX_LENGTH + 1)},
                "internal_note", Quota.objects.all())


def portal_holder_email(api, fan, make_user):
    quota = make_quota(numbered_match(), quantity=1, email="fan@example.com")
    return Case(fan, "post", f"/api/quota-portal/quotas/{quota.pk}/ticket-holders",
                {"holders": [{"use_my_profile": False, "email": LONG_EMAIL}]},
                "holders.0.email", QuotaClaim.objects.all())


def match_cancellation_reason(api, fan, make_user):
    match = numbered_match()
    return Case(staff(make_user, Role.MATCH_MANAGER), "post",
                f"/api/admin/matches/{match.pk}/status",
                {"status": MatchStatus.CANCELLED, "reason": "r" * (NOTE_MAX_LENGTH + 1)},
                "reason", Match.objects.filter(status=MatchStatus.CANCELLED))


def eligibility_rules(api, fan, make_user):
    match = numbered_match()
    start = timezone.now() + timedelta(days=1)
    return Case(staff(make_user, Role.MATCH_MANAGER), "post",
                f"/api/admin/matches/{match.pk}/sales-phases",
                {"phase_type": "LOYALTY", "name": "Loyalty", "start_at": start.isoformat(),
                 "end_at": (start + timedelta(days=1)).isoformat(),
                 "eligibility_rules_json": {"note": "x" * JSON_MAX_BYTES}},
                "eligibility_rules_json", SalesPhase.objects.all())


def stadium_country(api, fan, make_user):
    return Case(staff(make_user, Role.MATCH_MANAGER), "post", "/api/admin/stadiums",
                {"name": "Gradski vrt", "city": "Osijek", "country": "HR" * 5_000},
                "country", Stadium.objects.all())


def snake_grouping(api, fan, make_user):
    sector = make_stadium().sectors.first()
    return Case(staff(make_user, Role.MATCH_MANAGER), "put",
                f"/api/admin/sectors/{sector.pk}/snake-config",
                {"subsector_grouping_json": [{"name": "x" * JSON_MAX_BYTES}]},
                "subsector_grouping_json", SnakeConfig.objects.all())


@pytest.mark.parametrize("case", [
    login_token, refresh_token, fcm_token, profile_email, checkout_holder_email,
    quota_internal_note, portal_holder_email, match_cancellation_reason, eligibility_rules,
    stadium_country, snake_grouping,
], ids=lambda case: case.__name__)
def test_an_oversized_value_is_a_400_naming_the_field_and_nothing_is_written(
        api, fan, make_user, case):
    case = case(api, fan, make_user)
    before = list(case.written.values())

    response = getattr(case.client, case.method)(case.path, case.body, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid"
    messages = body["fields"][case.field]
    assert any("no more than" in m or "at most" in m for m in messages), messages
    assert list(case.written.values()) == before


def test_a_body_larger_than_the_upload_limit_is_a_413_and_writes_nothing(make_user, settings):
    match = numbered_match()
    client = staff(make_user, Role.QUOTA_MANAGER)

    response = client.post("/api/admin/quotas", {
        "match_id": match.pk, "recipient_email": "vip@sponsor.hr", "quantity": 1,
        "internal_note": "n" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}, format="json")

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert not Quota.objects.exists()


def test_an_oversized_webhook_is_a_413_and_records_nothing(api, settings):
    response = api.post("/api/webhooks/stripe", b"{" + b" " * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                        + b"}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1")

    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_an_imported_line_with_an_oversized_note_is_refused_by_line(make_user):
    match = numbered_match()
    csv = f"email,sectors,quantity,internal_note\nvip@sponsor.hr,A,1,{'n' * 2001}\n".encode()

    response = staff(make_user, Role.QUOTA_MANAGER).post("/api/admin/quotas/import", {
        "file": SimpleUploadedFile("quotas.csv", csv, content_type="text/csv"),
        "match_ids": str(match.pk)}, format="multipart")

    assert response.status_code == 201, response.content
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (2, "internal_note")
    assert not Quota.objects.exists()
