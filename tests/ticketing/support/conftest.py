"""Support agents and supervisors, and the paid orders they look up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.roles import Role
from tests.ticketing.aftersale.conftest import other_fan, paid, supervisor  # noqa: F401
from tests.ticketing.test_checkout import buyer, local_payments  # noqa: F401 (fixtures)


@pytest.fixture
def agent(make_user, back_office):
    return back_office(make_user("agent@example.com", roles=[Role.SUPPORT_AGENT]))


@pytest.fixture
def soon(match):
    """soon(hours): the match kicks off `hours` from now."""
    def move(hours: float):
        match.kick_off_time = timezone.now() + timedelta(hours=hours)
        match.save(update_fields=["kick_off_time"])

    return move
