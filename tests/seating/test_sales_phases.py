"""Sales phases of a match (E2-F2): windows, overlap, eligibility rules against the published
JSON Schema."""

from datetime import timedelta

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator

from core.models import AuditEvent
from core.roles import Role
from seating.models import SalesPhase
from seating.schemas import schema_load
from tests.seating.factories import make_match

pytestmark = pytest.mark.django_db

SCHEMA = "/api/admin/schemas/eligibility-rules"


@pytest.fixture
def match():
    return make_match()


def url(match, phase=None):
    base = f"/api/admin/matches/{match.pk}/sales-phases"
    return f"{base}/{phase.pk}" if phase else base


def at(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def phase_body(start=1, end=3, **fields):
    return {"phase_type": "LOYALTY", "name": "Loyalty", "start_at": at(start), "end_at": at(end),
            **fields}


def make_phase(match, start=1, end=3, **fields):
    now = timezone.now()
    return SalesPhase.objects.create(match=match, phase_type=fields.pop("phase_type", "LOYALTY"),
                                     name=fields.pop("name", "Loyalty"),
                                     start_at=now + timedelta(days=start),
                                     end_at=now + timedelta(days=end), **fields)


def test_other_roles_are_refused(api, make_user, match):
    api.force_authenticate(make_user(roles=[Role.SUPPORT_AGENT]))

    assert api.get(url(match)).status_code == 403


def test_it_creates_a_phase_with_rules(manager, match):
    rules = {"min_loyalty_points": 100, "membership_required": True,
             "allowed_email_domains": ["hns.hr"], "max_tickets_per_user": 2}

    response = manager.post(url(match), phase_body(eligibility_rules_json=rules, ticket_limit=2),
                            format="json")

    assert response.status_code == 201, response.json()
    phase = SalesPhase.objects.get(pk=response.json()["id"])
    assert (phase.eligibility_rules_json, phase.ticket_limit) == (rules, 2)
    assert AuditEvent.objects.filter(action="sales_phase.created",
                                     object_id=str(phase.pk)).exists()


def test_the_ticket_limit_defaults_to_the_per_match_cap(manager, match, settings):
    response = manager.post(url(match), phase_body(), format="json")

    assert response.json()["ticket_limit"] == settings.MAX_TICKETS_PER_FAN_PER_MATCH
    assert response.json()["eligibility_rules_json"] == {}


def test_the_ticket_limit_cannot_exceed_the_cap(manager, match, settings):
    response = manager.post(url(match), phase_body(ticket_limit=99), format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "ticket_limit_too_high"


def test_it_lists_a_matchs_phases_in_order(manager, match):
    later = make_phase(match, 5, 6, name="General", phase_type="GENERAL_PUBLIC")
    first = make_phase(match, 1, 2)
    make_phase(make_match(), 1, 2)

    body = manager.get(url(match)).json()

    assert [p["id"] for p in body] == [first.pk, later.pk]


def test_a_phase_must_start_before_it_ends(manager, match):
    response = manager.post(url(match), phase_body(start=3, end=2), format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_phase_window"


def test_overlapping_phases_are_refused(manager, match):
    make_phase(match, 1, 3, name="Loyalty")

    response = manager.post(url(match), phase_body(2, 4, name="General"), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "phases_overlap"
    assert '"Loyalty"' in body["detail"]


def test_back_to_back_phases_are_fine(manager, match):
    first = make_phase(match, 1, 3)

    response = manager.post(url(match), {**phase_body(), "start_at": first.end_at.isoformat(),
                                         "end_at": at(5)}, format="json")

    assert response.status_code == 201


def test_phases_of_other_matches_do_not_overlap(manager, match):
    make_phase(make_match(), 1, 3)

    assert manager.post(url(match), phase_body(1, 3), format="json").status_code == 201


def test_invalid_rules_name_the_bad_json_path(manager, match):
    response = manager.post(url(match), phase_body(
        eligibility_rules_json={"min_loyalty_points": -1}), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "eligibility_rules_invalid"
    assert "$.min_loyalty_points" in body["detail"]
    assert "min_loyalty_points: -1 is less than the minimum of 0" in body["detail"]
    assert body["fields"]["eligibility_rules_json"] == [
        "$.min_loyalty_points: -1 is less than the minimum of 0"]


@pytest.mark.parametrize("rules", [
    {"vip_only": True},
    {"membership_required": "yes"},
    {"allowed_email_domains": ["not a domain"]},
    {"max_tickets_per_user": 0},
])
def test_rules_outside_the_schema_are_refused(manager, match, rules):
    response = manager.post(url(match), phase_body(eligibility_rules_json=rules), format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "eligibility_rules_invalid"


def test_rules_must_be_an_object(manager, match):
    response = manager.post(url(match), phase_body(eligibility_rules_json=[1]), format="json")

    assert response.status_code == 400
    assert "eligibility_rules_json" in response.json()["fields"]


def test_it_updates_a_phase(manager, match):
    phase = make_phase(match, 1, 3)

    response = manager.put(url(match, phase), {"end_at": at(4), "is_active": False},
                           format="json")

    assert response.status_code == 200
    phase.refresh_from_db()
    assert not phase.is_active
    assert AuditEvent.objects.filter(action="sales_phase.updated").get().after["match"] \
        == match.pk


def test_an_update_may_not_create_an_overlap(manager, match):
    make_phase(match, 1, 3, name="Loyalty")
    general = make_phase(match, 4, 6, name="General")

    response = manager.put(url(match, general), {"start_at": at(2)}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "phases_overlap"


def test_an_update_validates_the_rules(manager, match):
    phase = make_phase(match)

    response = manager.put(url(match, phase), {"eligibility_rules_json": {"min_matches_attended":
                                                                         -3}}, format="json")

    assert response.status_code == 400
    assert "$.min_matches_attended" in response.json()["detail"]


def test_a_phase_of_another_match_is_not_found(manager, match):
    phase = make_phase(make_match())

    assert manager.put(url(match, phase), {"name": "X"}, format="json").status_code == 404


def test_it_deletes_a_phase_that_has_not_started(manager, match):
    phase = make_phase(match)

    assert manager.delete(url(match, phase)).status_code == 204
    assert not SalesPhase.objects.filter(pk=phase.pk).exists()


def test_a_phase_that_has_started_is_kept(manager, match):
    phase = make_phase(match, -1, 2)

    response = manager.delete(url(match, phase))

    assert response.status_code == 409
    assert response.json()["error"] == "phase_started"


def test_phases_of_a_deleted_match_are_gone(manager):
    match = make_match(is_deleted=True)

    assert manager.get(url(match)).status_code == 404


def test_the_schema_is_published(manager):
    response = manager.get(SCHEMA)

    assert response.status_code == 200
    schema = response.json()
    Draft202012Validator.check_schema(schema)
    assert schema == schema_load("eligibility_rules")
    assert schema["additionalProperties"] is False
    for example in schema["examples"]:
        Draft202012Validator(schema).validate(example)
