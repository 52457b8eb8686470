"""Match CRUD and the match status machine (E2-F1)."""

import pytest

from core.models import AuditEvent
from core.roles import Role
from seating.models import Match, MatchStatus
from seating.services.matches import MATCH_STATUS
from tests.seating.factories import make_match, make_stadium

pytestmark = pytest.mark.django_db

MATCHES = "/api/admin/matches"
NEW_MATCH = {"home_team": "Croatia", "away_team": "Italy", "competition": "Euro qualifier",
             "kick_off_time": "2030-06-10T20:45:00+02:00", "match_type": "HOME",
             "is_numbered": True}


def audit(match, action):
    return AuditEvent.objects.filter(object_type="seating.match", object_id=str(match.pk),
                                     action=action)


def test_it_needs_a_signed_in_user(api):
    assert api.get(MATCHES).status_code == 401


@pytest.mark.parametrize("role", [Role.QUOTA_MANAGER, Role.SUPPORT_AGENT, Role.SUPERVISOR])
def test_other_roles_are_refused(api, make_user, role):
    api.force_authenticate(make_user(roles=[role]))

    response = api.post(MATCHES, NEW_MATCH, format="json")

    assert response.status_code == 403
    assert "Match Manager" in response.json()["detail"]


def test_a_match_manager_creates_a_match(manager):
    venue = make_stadium()

    response = manager.post(MATCHES, {**NEW_MATCH, "venue_id": venue.pk, "fee_percent": "5.50"},
                            format="json")

    assert response.status_code == 201
    body = response.json()
    match = Match.objects.get(pk=body["id"])
    assert (match.venue, match.status, str(match.fee_percent)) == (venue, "DRAFT", "5.50")
    assert body["venue_name"] == "Stadion Maksimir"
    event = audit(match, "match.created").get()
    assert event.actor == manager.user
    assert event.after["home_team"] == "Croatia"


def test_the_fee_defaults_to_the_setting(manager, settings):
    response = manager.post(MATCHES, NEW_MATCH, format="json")

    assert response.json()["fee_percent"] == settings.DEFAULT_FEE_PERCENT


def test_it_rejects_an_unknown_venue(manager):
    response = manager.post(MATCHES, {**NEW_MATCH, "venue_id": 999999}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"venue_id": ["There is no stadium 999999."]}


def test_it_rejects_a_bad_match_type(manager):
    response = manager.post(MATCHES, {**NEW_MATCH, "match_type": "NEUTRAL"}, format="json")

    assert response.status_code == 400
    assert "match_type" in response.json()["fields"]


def test_the_list_is_paginated_filtered_and_skips_deleted_matches(manager):
    home = make_match()
    away = make_match(match_type="AWAY", away_team="Spain")
    make_match(status=MatchStatus.PUBLISHED)
    make_match(is_deleted=True)

    everything = manager.get(MATCHES).json()
    away_only = manager.get(MATCHES, {"match_type": "AWAY"}).json()
    drafts = manager.get(MATCHES, {"status": "DRAFT"}).json()

    assert everything["count"] == 3
    assert {"next", "previous", "results"} <= everything.keys()
    assert [m["id"] for m in away_only["results"]] == [away.pk]
    assert {m["id"] for m in drafts["results"]} == {home.pk, away.pk}


def test_the_list_rejects_an_unknown_status_filter(manager):
    response = manager.get(MATCHES, {"status": "PLAYING"})

    assert response.status_code == 400


def test_the_list_does_not_query_per_match(manager, django_assert_max_num_queries):
    venue = make_stadium()
    for _ in range(5):
        make_match(venue=venue)

    with django_assert_max_num_queries(6):  # user + groups, count, page
        assert len(manager.get(MATCHES).json()["results"]) == 5


def test_it_rejects_a_kick_off_outside_this_century(manager):  # the API fuzzer's find
    response = manager.post(MATCHES, {**NEW_MATCH, "kick_off_time": "0267-11-03T13:21:41Z"},
                            format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "kick_off_time": ["Give a kick-off time between 2000 and 2099."]}


def test_an_id_past_any_bigint_is_a_404_not_a_500(manager):  # the API fuzzer's find
    response = manager.get(f"{MATCHES}/6211206980386015936512")

    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert manager.get(f"{MATCHES}/999999999999999999").status_code == 404  # 18 digits


def test_it_shows_one_match(manager):
    match = make_match()

    body = manager.get(f"{MATCHES}/{match.pk}").json()

    assert (body["id"], body["away_team"], body["status"]) == (match.pk, "France", "DRAFT")


def test_it_updates_a_match_and_audits_only_what_changed(manager):
    match = make_match()

    response = manager.put(f"{MATCHES}/{match.pk}", {"away_team": "Spain", "home_team": "Croatia"},
                           format="json")

    assert response.status_code == 200
    assert response.json()["away_team"] == "Spain"
    event = audit(match, "match.updated").get()
    assert (event.before, event.after) == ({"away_team": "France"}, {"away_team": "Spain"})


def test_a_deleted_match_is_gone(manager):
    match = make_match()

    assert manager.delete(f"{MATCHES}/{match.pk}").status_code == 204

    match.refresh_from_db()
    assert match.is_deleted and match.deleted_at is not None
    assert manager.get(f"{MATCHES}/{match.pk}").status_code == 404
    assert manager.put(f"{MATCHES}/{match.pk}", {"away_team": "X"}, format="json").status_code \
        == 404
    assert audit(match, "match.deleted").exists()


def test_a_match_goes_from_draft_to_closed(manager):
    match = make_match()

    for status in ("PUBLISHED", "ACTIVE", "CLOSED"):
        response = manager.post(f"{MATCHES}/{match.pk}/status", {"status": status},
                                format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status

    match.refresh_from_db()
    assert match.closed_at is not None
    assert audit(match, "match.status_changed").count() == 3


def test_an_invalid_transition_names_both_statuses(manager):
    match = make_match()

    response = manager.post(f"{MATCHES}/{match.pk}/status", {"status": "CLOSED"},
                            format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_transition"
    assert "DRAFT" in body["detail"] and "CLOSED" in body["detail"]
    assert "status" in body["fields"]
    assert not audit(match, "match.status_changed").exists()


def test_a_closed_match_stays_closed(manager):
    match = make_match(status=MatchStatus.CLOSED)

    response = manager.put(f"{MATCHES}/{match.pk}", {"status": "ACTIVE"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_transition"


def test_cancelling_a_draft_records_the_reason(manager):
    match = make_match(status=MatchStatus.DRAFT)

    response = manager.post(f"{MATCHES}/{match.pk}/status",
                            {"status": "CANCELLED", "reason": "Storm"}, format="json")

    assert response.json()["cancellation_reason"] == "Storm"
    assert audit(match, "match.status_changed").get().after == {"status": "CANCELLED",
                                                                "reason": "Storm"}


def test_a_published_match_is_not_cancelled_through_its_status(manager):
    match = make_match(status=MatchStatus.PUBLISHED)

    response = manager.post(f"{MATCHES}/{match.pk}/status",
                            {"status": "CANCELLED", "reason": "Storm"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == "cancellation_needs_approval"
    assert "/cancel" in response.json()["detail"]
    match.refresh_from_db()
    assert match.status == MatchStatus.PUBLISHED


def test_a_status_in_put_goes_through_the_machine(manager):
    match = make_match()

    response = manager.put(f"{MATCHES}/{match.pk}", {"status": "PUBLISHED", "away_team": "Spain"},
                           format="json")

    assert response.json()["status"] == "PUBLISHED"
    assert audit(match, "match.status_changed").exists()


def test_a_refused_transition_in_put_keeps_the_other_changes_out(manager):
    match = make_match()

    response = manager.put(f"{MATCHES}/{match.pk}", {"status": "ACTIVE", "away_team": "Spain"},
                           format="json")

    assert response.status_code == 400
    match.refresh_from_db()
    assert match.away_team == "France"


def test_the_transitions_table_covers_every_status():
    assert set(MATCH_STATUS.transitions) == set(MatchStatus.values)
    assert MATCH_STATUS.allowed(MatchStatus.DRAFT) == {"PUBLISHED", "CANCELLED"}
    assert not MATCH_STATUS.allowed(MatchStatus.CANCELLED)
