"""Back-office roles: the groups, the role check on admin API routes (the audit trail), and what
each role sees in Django Admin."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.audit import audit_record
from core.roles import Role
from tests.assertions import assert_error

pytestmark = pytest.mark.django_db

AUDIT = "/api/admin/audit-events"


@pytest.fixture
def events(make_user):
    actor = make_user("actor@example.com")
    return [
        audit_record(actor=actor, action="quota.created", object_type="quotas.quota", object_id=1),
        audit_record(
            actor=actor, action="quota.retracted", object_type="quotas.quota", object_id=1
        ),
        audit_record(actor=None, action="order.paid", object_type="orders.order", object_id=7),
    ]


def test_the_migrations_create_the_back_office_roles():
    names = set(Group.objects.values_list("name", flat=True))

    assert names >= {
        "Super Admin",
        "Match Manager",
        "Quota Manager",
        "Support Agent",
        "Supervisor",
        "Petrol Staff",
    }


def test_the_audit_trail_needs_a_signed_in_user(api):
    response = api.get(AUDIT)

    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_a_fan_may_not_read_the_audit_trail(fan):
    body = assert_error(fan.get(AUDIT), 403, "forbidden")

    assert "Supervisor" in body["detail"]


def test_a_support_agent_may_not_read_the_audit_trail(back_office, make_user):
    agent = back_office(make_user(roles=[Role.SUPPORT_AGENT]))

    assert agent.get(AUDIT).status_code == 403


@pytest.mark.parametrize("who", ["supervisor", "super admin", "superuser"])
def test_supervisors_and_admins_read_the_audit_trail_newest_first(back_office, make_user, events,
                                                                  who):
    user = {
        "supervisor": lambda: make_user(roles=[Role.SUPERVISOR]),
        "super admin": lambda: make_user(roles=[Role.SUPER_ADMIN]),
        "superuser": lambda: make_user(staff=True, is_superuser=True),
    }[who]()

    response = back_office(user).get(AUDIT)

    assert response.status_code == 200
    body = response.json()
    ours = [
        e
        for e in body["results"]
        if e["action"] in {"quota.created", "quota.retracted", "order.paid"}
    ]
    assert [e["id"] for e in ours] == [e.pk for e in reversed(events)]
    assert ours[-1]["actor_email"] == "actor@example.com"


def test_a_supervisor_can_filter_the_audit_trail(back_office, make_user, events):
    supervisor = back_office(make_user(roles=[Role.SUPERVISOR]))

    by_action = supervisor.get(AUDIT, {"action": "quota.created"}).json()
    by_object = supervisor.get(AUDIT, {"object_type": "quotas.quota", "object_id": "1"}).json()
    by_actor = supervisor.get(AUDIT, {"actor_email": "actor@example.com"}).json()

    assert [e["id"] for e in by_action["results"]] == [events[0].pk]
    assert {e["id"] for e in by_object["results"]} == {events[0].pk, events[1].pk}
    assert {e["id"] for e in by_actor["results"]} == {events[0].pk, events[1].pk}


def test_a_support_agent_sees_users_but_not_the_audit_trail_or_templates_in_admin(
    client, make_user
):
    client.force_login(make_user(roles=[Role.SUPPORT_AGENT]))

    page = client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:ticketing_user_changelist") in page
    assert reverse("admin:core_auditevent_changelist") not in page
    assert reverse("admin:core_emailtemplate_changelist") not in page
    assert client.get(reverse("admin:ticketing_user_changelist")).status_code == 200
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 403


def test_a_supervisor_reads_the_audit_trail_in_admin_but_cannot_add_users(
    client, make_user, events
):
    client.force_login(make_user(roles=[Role.SUPERVISOR]))

    changelist = client.get(reverse("admin:core_auditevent_changelist"))

    assert changelist.status_code == 200
    assert "quota.retracted" in changelist.content.decode()
    assert client.get(reverse("admin:ticketing_user_add")).status_code == 403


def test_a_fan_without_staff_access_cannot_open_the_admin(client, make_user):
    client.force_login(make_user("fan@example.com"))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def _admin_api_routes() -> list[tuple[str, object]]:
    """Every `/api/admin/…` route with its view, path converters filled with 1."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield re.sub(r"<\w+:\w+>|<\w+>", "1", route), entry.callback

    return [("/" + route.lstrip("^").rstrip("$"), view) for route, view in
            walk(get_resolver().url_patterns) if route.startswith("api/admin/")]


def test_a_fan_gets_403_on_every_admin_api_route(fan):
    routes = _admin_api_routes()
    assert len(routes) > 40  # the walk found them
    allowed = {}
    for url, view in routes:
        methods = [m for m in ("get", "post", "put", "patch", "delete")
                   if hasattr(getattr(view, "view_class", None), m)]
        for method in methods:
            status = getattr(fan, method)(url, {}, format="json").status_code
            if status != 403:
                allowed[f"{method.upper()} {url}"] = status
    assert allowed == {}
