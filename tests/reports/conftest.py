from tests.payments.conftest import closed_port  # noqa: F401 (fixture)
from tests.ticketing.aftersale.conftest import paid, supervisor  # noqa: F401 (fixtures)
from tests.ticketing.conftest import match, zone  # noqa: F401 (fixtures)
from tests.ticketing.invoicing.conftest import deferred_orders, no_eracuni  # noqa: F401
from tests.ticketing.test_checkout import buyer, buyer_profile, local_payments  # noqa: F401
