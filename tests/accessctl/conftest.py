"""People who run the blacklist, and entries made through its service."""

import pytest

from accessctl.models import BlacklistSource
from accessctl.services.entries import blacklist_entry_create
from core.roles import Role
from tests.ticketing.aftersale.conftest import other_fan, paid  # noqa: F401 (fixtures)
from tests.ticketing.conftest import match, zone  # noqa: F401 (fixtures)
from tests.ticketing.test_checkout import buyer, local_payments  # noqa: F401 (fixtures)


@pytest.fixture
def officer(make_user, back_office):
    """A Supervisor signed in to the admin API (the blacklist is theirs)."""
    return back_office(make_user("officer@example.com", roles=[Role.SUPERVISOR]))


@pytest.fixture
def listed(officer):
    def make(oib: str, **fields):
        data = {"first_name": "Marko", "last_name": "Marić", "reason": "Pyrotechnics",
                "source": BlacklistSource.MUP_COURT_BAN} | fields
        return blacklist_entry_create(oib=oib, actor=officer.user, **data)

    return make
