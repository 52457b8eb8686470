"""Support agents, and the paid orders they look up."""

import pytest

from core.roles import Role
from tests.ticketing.aftersale.conftest import other_fan, paid  # noqa: F401 (fixtures)
from tests.ticketing.test_checkout import buyer, local_payments  # noqa: F401 (fixtures)


@pytest.fixture
def agent(make_user, back_office):
    return back_office(make_user("agent@example.com", roles=[Role.SUPPORT_AGENT]))
