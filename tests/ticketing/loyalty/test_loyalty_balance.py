"""A fan's balance (E6-F1): points of the OIB on their profile, earned within the last 5 years
(a rolling window), and their history match by match."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from seating.models import MatchType
from ticketing.loyalty.selectors import (
    loyalty_history,
    loyalty_points_of,
    loyalty_summary,
    window_start,
)
from ticketing.models import Profile

pytestmark = pytest.mark.django_db

PLAYED = datetime(2026, 3, 14, 18, 0, tzinfo=UTC)
FIVE_YEARS_ON = datetime(2031, 3, 14, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(("now", "balance"), [
    (PLAYED, 1),
    (FIVE_YEARS_ON - timedelta(seconds=1), 1),
    (FIVE_YEARS_ON, 0),  # earned exactly 5 years ago: expired
    (FIVE_YEARS_ON + timedelta(days=1), 0),
])
def test_points_count_for_five_years_after_the_match(make_fan, earn, now, balance):
    fan = make_fan(31)
    earn(fan, kick_off_time=PLAYED)

    with time_machine.travel(now, tick=False):
        assert loyalty_points_of(fan.user) == balance
        assert loyalty_summary(user=fan.user).balance == balance


def test_the_window_of_a_leap_day_ends_on_the_28th():
    assert window_start(datetime(2029, 2, 28, 12, tzinfo=UTC)) == datetime(
        2024, 2, 28, 12, tzinfo=UTC)
    assert window_start(datetime(2028, 2, 29, 12, tzinfo=UTC)) == datetime(
        2023, 2, 28, 12, tzinfo=UTC)


def test_the_balance_endpoint_gives_the_balance_window_and_next_expiry(make_fan, earn, login):
    fan = make_fan(32)
    [older] = earn(fan, kick_off_time=PLAYED - timedelta(days=30))
    earn(fan, kick_off_time=PLAYED)

    with time_machine.travel(PLAYED + timedelta(days=1), tick=False):
        response = login(fan.user).get("/api/users/me/loyalty")  # a token of that day

    assert response.status_code == 200, response.content
    assert response.json() == {
        "balance": 2, "has_oib": True, "window_years": 5,
        "window_start": "2021-03-15T19:00:00+01:00",
        "next_expiry_at": "2031-02-12T19:00:00+01:00", "next_expiry_points": 1}
    assert older.kick_off_time == datetime(2026, 2, 12, 18, tzinfo=UTC)


def test_a_fan_without_an_oib_has_no_points(login):
    response = login("visitor@example.com").get("/api/users/me/loyalty")

    assert response.status_code == 200
    body = response.json()
    assert (body["balance"], body["has_oib"], body["next_expiry_at"]) == (0, False, None)


def test_points_follow_the_oib_to_whichever_account_holds_it(make_fan, earn, login):
    fan = make_fan(33)
    earn(fan)
    Profile.objects.filter(user=fan.user).update(oib_hash="")
    newcomer = login("new.account@example.com")
    Profile.objects.create(user=newcomer.user, first_name="A", last_name="B",
                           date_of_birth="1990-01-01", nationality="HR",
                           oib_hash=fan.user.profile.oib_hash)

    assert loyalty_points_of(fan.user) == 0
    assert loyalty_points_of(newcomer.user) == 1


def test_the_history_lists_home_and_away_matches_newest_first(make_fan, earn, login):
    fan = make_fan(34)
    [home] = earn(fan, match_type=MatchType.HOME, kick_off_time=PLAYED - timedelta(days=2000))
    [away] = earn(fan, match_type=MatchType.AWAY, kick_off_time=PLAYED)

    with time_machine.travel(PLAYED + timedelta(days=1), tick=False):
        response = login(fan.user).get("/api/users/me/loyalty/history")

    assert response.status_code == 200, response.content
    rows = response.json()
    assert [(r["match_id"], r["match_type"], r["points"], r["counts"]) for r in rows] == [
        (away.pk, "AWAY", 1, True), (home.pk, "HOME", 1, False)]  # 2000 days: expired
    assert rows[0]["match"] == "Croatia v France"
    assert rows[0]["kick_off_time"] == rows[0]["earned_at"] == "2026-03-14T19:00:00+01:00"
    assert rows[0]["expires_at"] == "2031-03-14T19:00:00+01:00"


def test_the_history_reads_in_a_fixed_number_of_queries(make_fan, earn,
                                                        django_assert_num_queries):
    fan = make_fan(35)
    earn(fan, 3)

    with django_assert_num_queries(2):  # the profile's OIB hash, the points by match
        assert len(loyalty_history(user=fan.user)) == 3
