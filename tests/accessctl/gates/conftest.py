"""A published match with paid orders (bought as a fan buys), and a Match Manager."""

import pytest

from core.roles import Role
from tests.ticketing.aftersale.conftest import paid  # noqa: F401 (fixture)
from tests.ticketing.conftest import match, zone  # noqa: F401 (fixtures)
from tests.ticketing.test_checkout import buyer, local_payments  # noqa: F401 (fixtures)


@pytest.fixture
def match_manager(make_user, back_office):
    return back_office(make_user("matches@hns.hr", roles=[Role.MATCH_MANAGER]))
