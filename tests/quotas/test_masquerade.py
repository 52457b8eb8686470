"""Masquerade (E7 scope): from Django Admin a Quota Manager opens the portal as a holder
(django-hijack), under a visible banner, every action audited under both identities, and
returns to the admin. Never as a staff or superuser account."""

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from core.audit import MasqueradeAuditMiddleware, audit_record
from core.models import AuditEvent
from core.roles import Role
from quotas.models import Quota
from tests.quotas.fixtures_import import quota_make

HOLDER = "vip@sponsor.hr"


def masquerade(client, quota):
    return client.post(f"/admin/quotas/quota/{quota.pk}/masquerade/")


def session_user_id(client) -> int:
    return int(client.session["_auth_user_id"])


def test_a_quota_manager_opens_the_portal_as_the_holder(admin_client_qm, quota_manager,
                                                        match_a):
    quota = quota_make(match_a, quantity=2)
    assert admin_client_qm.get(
        f"/admin/quotas/quota/{quota.pk}/masquerade/").status_code == 200

    response = masquerade(admin_client_qm, quota)

    holder = get_user_model().objects.get(email=HOLDER)  # created: the holder had no account
    assert response.status_code == 302 and response.url.startswith("/portal/")
    assert session_user_id(admin_client_qm) == holder.pk
    assert admin_client_qm.session["hijack_history"] == [str(quota_manager.pk)]
    started = AuditEvent.objects.get(action="masquerade.started")
    assert (started.actor_id, started.object_id, started.after["holder"]) == (
        quota_manager.pk, str(quota.pk), HOLDER)


def test_actions_while_masquerading_are_audited_under_both_identities(admin_client_qm,
                                                                      quota_manager, match_a):
    quota = quota_make(match_a, quantity=3, can_create_subquotas=True)
    masquerade(admin_client_qm, quota)
    seat_ids = list(quota.seats.values_list("id", flat=True)[:2])

    response = admin_client_qm.post(f"/api/quota-portal/quotas/{quota.pk}/subquotas",
                                    {"recipient_email": "friend@firma.hr", "seat_ids": seat_ids},
                                    content_type="application/json")

    assert response.status_code == 201, response.json()
    events = AuditEvent.objects.filter(created_at__isnull=False).exclude(
        action__startswith="masquerade").exclude(action="quota.created")
    assert events.filter(action="subquota.created").exists()
    # every row of the request, also those written without the request (status transitions)
    assert {(e.actor_email, e.impersonator_email) for e in events} == {
        (HOLDER, quota_manager.email)}


def test_the_portal_shows_a_banner_with_a_way_back(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=1)
    masquerade(admin_client_qm, quota)
    request = RequestFactory().get("/portal/")
    request.user = get_user_model().objects.get(email=HOLDER)
    request.user.is_hijacked = True
    request.session = {"masquerade_return_url": f"/admin/quotas/quota/{quota.pk}/change/"}

    html = render_to_string("quotas/_masquerade_banner.html", request=request)

    assert f"You are viewing the portal as {HOLDER} —" in html
    assert 'action="/hijack/release/"' in html and "Return to admin" in html
    assert f'value="/admin/quotas/quota/{quota.pk}/change/"' in html


def test_no_banner_without_masquerade(make_user):
    request = RequestFactory().get("/portal/")
    request.user = make_user(HOLDER)
    request.session = {}

    assert render_to_string("quotas/_masquerade_banner.html", request=request).strip() == ""


def test_returning_to_the_admin_ends_the_masquerade(admin_client_qm, quota_manager, match_a):
    quota = quota_make(match_a, quantity=1)
    masquerade(admin_client_qm, quota)
    back = admin_client_qm.session["masquerade_return_url"]

    response = admin_client_qm.post("/hijack/release/", {"next": back})

    assert response.status_code == 302 and response.url == back
    assert session_user_id(admin_client_qm) == quota_manager.pk
    assert not admin_client_qm.session.get("hijack_history")
    ended = AuditEvent.objects.get(action="masquerade.ended")
    assert (ended.actor_email, ended.impersonator_email) == (HOLDER, quota_manager.email)
    assert admin_client_qm.get(back).status_code == 200


def test_a_support_agent_cannot_masquerade(make_user, match_a):
    quota = quota_make(match_a, quantity=1)
    client = Client()
    client.force_login(make_user("support@hns.hr", roles=[Role.SUPPORT_AGENT]))

    assert masquerade(client, quota).status_code == 403
    holder = make_user(HOLDER)
    assert client.post("/hijack/acquire/", {"user_pk": holder.pk}).status_code == 403
    assert session_user_id(client) != holder.pk


@pytest.mark.parametrize("account", ["staff", "superuser", "role"])
def test_nobody_masquerades_as_a_back_office_account(admin_client_qm, make_user, match_a,
                                                     account):
    fields = {"staff": {"staff": True}, "superuser": {"is_superuser": True, "staff": True},
              "role": {"roles": [Role.PETROL_STAFF], "staff": False}}[account]
    target = make_user("colleague@hns.hr", **fields)
    quota = quota_make(match_a, email=target.email, quantity=1)
    me = session_user_id(admin_client_qm)

    response = masquerade(admin_client_qm, quota)
    direct = admin_client_qm.post("/hijack/acquire/", {"user_pk": target.pk})

    assert response.status_code == 302 and response.url.endswith(f"/{quota.pk}/change/")
    assert direct.status_code == 403
    assert session_user_id(admin_client_qm) == me


def test_a_quota_manager_masquerades_only_as_quota_holders(admin_client_qm, make_user):
    fan = make_user("fan@example.com")

    assert admin_client_qm.post("/hijack/acquire/", {"user_pk": fan.pk}).status_code == 403


def test_a_superuser_may_masquerade_as_any_fan(make_user):
    fan = make_user("fan@example.com")
    client = Client()
    client.force_login(make_user("root@hns.hr", is_superuser=True, staff=True))

    response = client.post("/hijack/acquire/", {"user_pk": fan.pk, "next": "/portal/"})

    assert response.status_code == 302 and session_user_id(client) == fan.pk


def test_the_audit_middleware_names_the_admin_from_the_hijack_session(make_user, settings):
    admin_user, holder = make_user("qm@hns.hr"), make_user(HOLDER)
    request = RequestFactory().get("/portal/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=x")
    request.session = {"hijack_history": [str(admin_user.pk)]}

    def view(request):
        audit_record(actor=holder, action="test.action", object_type="x", object_id=1)
        return HttpResponse()

    MasqueradeAuditMiddleware(view)(request)
    audit_record(actor=holder, action="test.after", object_type="x", object_id=1)

    during, after = (AuditEvent.objects.get(action=a) for a in ("test.action", "test.after"))
    assert (during.actor_id, during.impersonator_id) == (holder.pk, admin_user.pk)
    assert after.impersonator_id is None


def test_quotas_stay_untouched_by_a_masquerade_page_view(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=1)

    admin_client_qm.get(f"/admin/quotas/quota/{quota.pk}/masquerade/")

    assert not get_user_model().objects.filter(email=HOLDER).exists()
    assert Quota.objects.get(pk=quota.pk).recipient_user_id is None


def test_the_portal_page_opened_by_the_masquerade_shows_the_banner(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=1)

    portal = admin_client_qm.get(masquerade(admin_client_qm, quota).url)

    html = portal.content.decode()
    assert portal.status_code == 200
    assert f"You are viewing the portal as {HOLDER} —" in html and "/hijack/release/" in html
