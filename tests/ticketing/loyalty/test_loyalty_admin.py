"""The back office's loyalty views (E6-F1, E6-F2): any account's points, the distribution of
points for planning a presale (API and the Django Admin chart), the read-only points list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.pii import keyed_hash
from core.roles import Role
from seating.models import MatchType, PhaseType, SalesPhase
from tests.ticketing.test_checkout import valid_oib

pytestmark = pytest.mark.django_db

TIERS = [{"min_points": 1, "ticket_limit": 2}, {"min_points": 2, "ticket_limit": 4}]


# --- any account's points ---------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.SUPPORT_AGENT, Role.SUPERVISOR])
def test_the_back_office_sees_any_accounts_points(staff, make_fan, earn, role):
    fan = make_fan(51)
    [home] = earn(fan, match_type=MatchType.HOME)
    [away] = earn(fan, match_type=MatchType.AWAY)

    response = staff(role).get(f"/api/admin/users/{fan.user.pk}/loyalty")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["user_id"], body["email"], body["balance"]) == (fan.user.pk, fan.user.email, 2)
    assert {(row["match_id"], row["match_type"]) for row in body["history"]} == {
        (home.pk, "HOME"), (away.pk, "AWAY")}


def test_an_unknown_account_is_404(support):
    response = support.get("/api/admin/users/999999/loyalty")

    assert response.status_code == 404
    assert response.json()["fields"] == {"user_id": ["User 999999 does not exist."]}


@pytest.mark.parametrize("path", ["/api/admin/users/{user}/loyalty",
                                  "/api/admin/matches/{match}/loyalty-distribution"])
def test_a_fan_is_refused_the_admin_paths(make_fan, earn, path):
    fan = make_fan(52)
    [match] = earn(fan)

    response = fan.get(path.format(user=fan.user.pk, match=match.pk))

    assert response.status_code == 403


def test_other_roles_are_refused_the_distribution(staff, shop):
    match, _ = shop()

    assert staff(Role.QUOTA_MANAGER).get(
        f"/api/admin/matches/{match.pk}/loyalty-distribution").status_code == 403


# --- distribution -----------------------------------------------------------------------------

@pytest.fixture
def presale(make_fan, shop, earn):
    """Three fans with 2, 1 and 0 points, and a match whose presale has TIERS."""
    two, one = make_fan(53), make_fan(54)
    make_fan(55)  # no points
    earn(two, 1)
    earn(one, 1)
    earn(two, 1)
    match, _ = shop()
    now = timezone.now()
    SalesPhase.objects.create(match=match, phase_type=PhaseType.LOYALTY, name="Presale",
                              start_at=now + timedelta(days=1), end_at=now + timedelta(days=2),
                              eligibility_rules_json={"loyalty_tiers": TIERS})
    return match


def test_the_distribution_counts_fans_by_points_and_by_tier(match_manager, presale):
    response = match_manager.get(f"/api/admin/matches/{presale.pk}/loyalty-distribution")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["match_id"], body["fans_total"], body["fans_with_points"]) == (presale.pk, 3, 2)
    assert body["balances"] == [{"points": 0, "fans": 1}, {"points": 1, "fans": 1},
                                {"points": 2, "fans": 1}]
    [phase] = body["phases"]
    assert (phase["name"], phase["fans_below"]) == ("Presale", 1)
    assert phase["tiers"] == [
        {"min_points": 1, "ticket_limit": 2, "fans": 1, "tickets_at_most": 2},
        {"min_points": 2, "ticket_limit": 4, "fans": 1, "tickets_at_most": 4}]


def test_the_distribution_of_an_unknown_match_is_404(match_manager):
    response = match_manager.get("/api/admin/matches/999999/loyalty-distribution")

    assert response.status_code == 404
    assert response.json()["error"] == "match_not_found"


def test_the_admin_chart_shows_fans_by_points(match_manager, presale):
    response = match_manager.get(f"/admin/loyalty/loyaltypoint/distribution/?match={presale.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg id="loyalty-chart"' in html
    for points in (0, 1, 2):
        assert f'data-points="{points}" data-fans="1"' in html
    assert 'class="loyalty-tiers"' in html


def test_the_admin_chart_is_for_match_managers_and_supervisors(support, presale):
    assert support.get("/admin/loyalty/loyaltypoint/distribution/").status_code == 403


# --- the points list --------------------------------------------------------------------------

def test_the_points_list_is_read_only_and_masks_the_oib(support, make_fan, earn):
    earn(make_fan(56))

    response = support.get("/admin/loyalty/loyaltypoint/")

    assert response.status_code == 200
    html = response.content.decode()
    oib = valid_oib(56)
    assert oib not in html and keyed_hash(oib) not in html
    assert f"*******{oib[-4:]}" in html
    assert "Distribution by match" in html
    assert support.get("/admin/loyalty/loyaltypoint/add/").status_code == 403


def test_the_chart_is_reached_from_the_match_page(match_manager, presale):
    response = match_manager.get(f"/admin/seating/match/{presale.pk}/change/")

    assert response.status_code == 200
    assert (f'href="/admin/loyalty/loyaltypoint/distribution/?match={presale.pk}"'
            in response.content.decode())
