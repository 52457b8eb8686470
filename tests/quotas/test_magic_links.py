"""Issue 19: an invitation's magic link signs in only the quota's current recipient, for
QUOTA_MAGIC_LINK_DAYS and QUOTA_MAGIC_LINK_MAX_USES clicks, never a back-office account, and
its session never opens the back office. Closing a quota (cancelled, retracted) revokes it."""

from collections import Counter
from datetime import timedelta
from hashlib import sha256

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role
from quotas.middleware import PORTAL_ONLY_SESSION_KEY
from quotas.models import MagicLink, Quota
from quotas.services.cancellation import quota_cancel
from quotas.services.magic_links import magic_link_issue, magic_link_redeem
from quotas.services.subquotas import subquota_create, subquota_retract
from tests.concurrency import run_together
from tests.conftest import sso_token
from tests.quotas.conftest import HOLDER_EMAIL, make_quota, numbered_match, seat_ids, token_in
from ticketing.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def quota(match):
    return make_quota(match, quantity=4, can_create_subquotas=True)


def click(link: str, client: Client | None = None):
    client = client or Client()
    response = client.get(link)
    response.client = client
    return response


def row_of(link: str) -> MagicLink:
    return MagicLink.objects.get(token_hash=sha256(token_in(link).encode()).hexdigest())


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.content
    assert words in response.content.decode()
    assert not signed_in(response.client)


def test_the_link_signs_its_recipient_in_to_the_quota_and_only_its_hash_is_stored(quota):
    link = magic_link_issue(quota=quota)

    response = click(link)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/quotas/{quota.pk}/"
    client = response.client
    assert client.session["_auth_user_id"] == str(User.objects.get(email=HOLDER_EMAIL).pk)
    row = row_of(link)
    assert (row.quota, row.email, row.uses, row.max_uses) == (quota, HOLDER_EMAIL, 1, 3)
    assert token_in(link) not in str(list(MagicLink.objects.values()))
    assert AuditEvent.objects.filter(action="quota.magic_link_used").exists()


def test_the_links_session_is_portal_only(quota):
    client = click(magic_link_issue(quota=quota)).client

    assert client.session[PORTAL_ONLY_SESSION_KEY] is True
    assert client.get("/portal/").status_code == 200


def test_a_link_expires_after_the_configured_days(quota, settings):
    settings.QUOTA_MAGIC_LINK_DAYS = 2
    link = magic_link_issue(quota=quota)

    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        response = click(link)

    refused(response, 410, "expired on")
    assert row_of(link).uses == 0


def test_a_link_works_the_configured_number_of_times(quota, settings):
    settings.QUOTA_MAGIC_LINK_MAX_USES = 2
    link = magic_link_issue(quota=quota)

    assert [click(link).status_code for _ in range(2)] == [302, 302]
    refused(click(link), 410, "used 2 times")


def test_an_unknown_token_is_refused(quota):
    link = magic_link_issue(quota=quota)

    refused(click(link.replace(token_in(link), "x" * 43)), 400, "not valid")


def test_a_retracted_subquota_revokes_its_link(quota, make_user):
    holder = make_user(HOLDER_EMAIL)
    sub = subquota_create(user=holder, quota_id=quota.pk, recipient_email="friend@partner.hr",
                          seat_ids=seat_ids(quota, 2))
    link = magic_link_issue(quota=sub)

    subquota_retract(user=holder, subquota_id=sub.pk)

    assert MagicLink.objects.filter(quota=sub, revoked_at__isnull=True).count() == 0
    refused(click(link), 410, "taken back")


def test_a_cancelled_quota_revokes_its_links_and_its_subquotas(quota, make_user):
    holder = make_user(HOLDER_EMAIL)
    sub = subquota_create(user=holder, quota_id=quota.pk, recipient_email="friend@partner.hr",
                          seat_ids=seat_ids(quota, 2))
    links = [magic_link_issue(quota=quota), magic_link_issue(quota=sub)]

    quota_cancel(actor=make_user(roles=[Role.QUOTA_MANAGER]), quota_id=quota.pk,
                 option="ALL_UNUSED")

    assert not MagicLink.objects.filter(revoked_at__isnull=True).exists()
    for link in links:
        refused(click(link), 410, "cancelled or taken back")


def test_a_link_opens_nothing_once_the_quota_is_addressed_to_someone_else(quota):
    link = magic_link_issue(quota=quota)
    Quota.objects.filter(pk=quota.pk).update(recipient_email="new-holder@sponsor.hr")

    refused(click(link), 410, "addressed to someone else")
    assert not User.objects.filter(email=HOLDER_EMAIL).exists()


@pytest.mark.parametrize("who", ["superuser", "staff", "supervisor"])
def test_a_link_never_signs_in_a_back_office_account(match, make_user, who):
    account = {"superuser": lambda: make_user("admin@hns.hr", staff=True, is_superuser=True),
               "staff": lambda: make_user("admin@hns.hr", staff=True),
               "supervisor": lambda: make_user("admin@hns.hr", roles=[Role.SUPERVISOR],
                                               staff=False)}[who]()
    link = magic_link_issue(quota=make_quota(match, quantity=2, email=account.email))

    response = click(link)

    refused(response, 403, "back-office account")
    assert 'href="/admin/login/"' in response.content.decode()
    assert response.client.get("/admin/").status_code == 302
    assert row_of(link).uses == 0
    assert AuditEvent.objects.filter(action="quota.magic_link_refused_back_office").exists()


def test_a_portal_session_whose_account_became_staff_never_opens_the_back_office(quota):
    client = click(magic_link_issue(quota=quota)).client
    User.objects.filter(email=HOLDER_EMAIL).update(is_staff=True, is_superuser=True)

    admin = client.get("/admin/")

    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert not signed_in(client)
    assert client.get("/api/admin/audit-events").status_code in (401, 403)


def test_the_portals_webshop_sign_in_is_portal_only_too(make_user):
    client = Client()
    client.get("/portal/login/", {"token": sso_token("fan@example.com", "drupal-5")})
    User.objects.filter(email="fan@example.com").update(is_staff=True, is_superuser=True)

    assert client.get("/admin/").status_code == 302
    assert not signed_in(client)


def test_staff_signing_in_with_a_password_reach_the_admin(make_user):
    make_user("admin@hns.hr", staff=True, is_superuser=True, password="a-long-pass-123")
    client = Client()

    response = client.post("/admin/login/", {"username": "admin@hns.hr",
                                             "password": "a-long-pass-123", "next": "/admin/"})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_never_pass_the_limit(settings):
    settings.QUOTA_MAGIC_LINK_MAX_USES = 3
    quota = make_quota(numbered_match(), quantity=2)
    link = magic_link_issue(quota=quota)
    token = token_in(link)

    def redeem(_):
        magic_link_redeem(token=token)
        return "ok"

    results = run_together(12, redeem)

    assert Counter(r.code if isinstance(r, DomainError) else r for r in results) == {
        "ok": 3, "magic_link_used_up": 9}
    assert row_of(link).uses == 3
