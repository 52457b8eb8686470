import pytest

from core.roles import Role


@pytest.fixture
def manager(api, make_user):
    """The API client signed in as a Match Manager (`manager.user`)."""
    user = make_user(roles=[Role.MATCH_MANAGER])
    api.force_authenticate(user)
    api.user = user
    return api
