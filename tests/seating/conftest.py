import pytest

from core.roles import Role


@pytest.fixture
def api_as(api, make_user):
    """api_as(*roles) -> a new user with those roles, the `api` client authenticated as them."""
    def sign_in(*roles):
        user = make_user(roles=list(roles))
        api.force_authenticate(user)
        return user

    return sign_in


@pytest.fixture
def manager(api, api_as):
    """The API client signed in as a Match Manager (`manager.user`)."""
    api.user = api_as(Role.MATCH_MANAGER)
    return api
