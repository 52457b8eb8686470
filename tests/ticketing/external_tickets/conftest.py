from tests.ticketing.aftersale.conftest import other_fan, paid  # noqa: F401 (fixtures)
from tests.ticketing.test_checkout import buyer, buyer_profile, local_payments  # noqa: F401
