import pytest

from tests.ticketing.test_cart import on_sale_match, seated_zone


@pytest.fixture
def match():
    """A published match with a running public phase."""
    return on_sale_match()


@pytest.fixture
def zone(match):
    """Its one zone: a numbered sector of two rows of five seats at 40.00."""
    return seated_zone(match)[0]
