"""A blacklisted fan cannot join a match's waiting room (E5), and the attempt is logged."""

from datetime import date

from accessctl.models import BlacklistSource, BlacklistViolation
from accessctl.services.entries import blacklist_entry_create
from tests.queueing.factories import make_queue
from ticketing.services.profiles import profile_create

FAN_OIB = "69435151530"


def give_profile(user, oib=FAN_OIB):
    profile_create(user=user, data={"first_name": "Ana", "last_name": "Horvat",
                                    "date_of_birth": date(1990, 5, 17), "nationality": "HR",
                                    "oib": oib})


def test_a_blacklisted_fan_cannot_join_the_queue(fan, make_user):
    queue = make_queue()
    give_profile(fan.user)
    blacklist_entry_create(oib=FAN_OIB, first_name="Ana", last_name="Horvat", reason="court ban",
                           source=BlacklistSource.MUP_COURT_BAN, actor=make_user(staff=True))

    response = fan.post(f"/api/queue/{queue.match_id}/join")

    assert response.status_code == 403
    assert response.json()["error"] == "blacklisted"
    attempt = BlacklistViolation.objects.get()
    assert (attempt.user_id, attempt.action_type) == (fan.user.id, "QUEUE_JOIN_ATTEMPT")


def test_a_fan_who_is_not_listed_joins(fan):
    queue = make_queue()
    give_profile(fan.user)

    response = fan.post(f"/api/queue/{queue.match_id}/join")

    assert response.status_code in (200, 201)
    assert not BlacklistViolation.objects.exists()
