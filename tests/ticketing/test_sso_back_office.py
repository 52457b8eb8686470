"""Issue 19: a webshop (SSO) token carrying a back-office email never signs in as, nor links
to, that account; staff sign in with their own password. Both doors: the app's
POST /api/auth/login and the portal's /portal/login/?token=."""

import pytest

from core.models import AuditEvent
from core.roles import Role
from tests.conftest import sso_token
from ticketing.models import ApiSession, User

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"


def back_office_accounts(make_user):
    return {
        "supervisor": lambda: make_user("supervisor@hns.hr", roles=[Role.SUPERVISOR]),
        "superuser": lambda: make_user("admin@hns.hr", staff=True, is_superuser=True),
        "staff, no role": lambda: make_user("staff@hns.hr", staff=True),
        "a role, not staff": lambda: make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT],
                                               staff=False),
    }


@pytest.mark.parametrize("who", ["supervisor", "superuser", "staff, no role", "a role, not staff"])
def test_an_sso_token_with_a_back_office_email_is_refused_by_the_api(api, make_user, who):
    user = back_office_accounts(make_user)[who]()

    response = api.post(LOGIN, {"drupal_token": sso_token(user.email, "drupal-777")},
                        format="json")

    assert response.status_code == 403, response.content
    assert response.json()["error"] == "back_office_account"
    user.refresh_from_db()
    assert user.drupal_user_id is None
    assert not ApiSession.objects.exists()
    assert AuditEvent.objects.filter(action="user.sso_refused_back_office",
                                     object_id=str(user.pk)).exists()
    assert api.get("/api/admin/audit-events").status_code == 401


def test_a_fan_account_that_became_staff_no_longer_signs_in_through_the_webshop(api, login):
    fan = login("fan@example.com").user
    User.objects.filter(pk=fan.pk).update(is_staff=True)

    response = api.post(LOGIN, {"drupal_token": sso_token(fan.email, fan.drupal_user_id)},
                        format="json")

    assert response.status_code == 403
    assert response.json()["error"] == "back_office_account"


def test_the_portal_refuses_an_sso_token_for_the_superuser_and_opens_no_admin_session(
        client, make_user):
    admin = make_user("admin@hns.hr", staff=True, is_superuser=True)

    response = client.get("/portal/login/", {"token": sso_token(admin.email, "drupal-1")})

    assert response.status_code == 403
    assert "back-office account" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # to the admin's own login


def test_staff_still_reach_the_admin_api_with_their_own_session(back_office, make_user):
    supervisor = back_office(make_user("supervisor@hns.hr", roles=[Role.SUPERVISOR]))

    assert supervisor.get("/api/admin/audit-events").status_code == 200
