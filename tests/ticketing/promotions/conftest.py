from decimal import Decimal

from tests.ticketing import test_checkout as base
from ticketing.promotions.models import PromoCode, PromoKind

# The checkout tests' fixtures: local payments and a fan with a complete profile (match and
# zone come from tests/ticketing/conftest.py: 10 seats at 40.00, a HOME match, 6 % fee).
local_payments, buyer = base.local_payments, base.buyer


def make_promo(match=None, *, code="SAVE10", kind=PromoKind.PERCENT, value="10",
               **fields) -> PromoCode:
    return PromoCode.objects.create(match=match, code=code, kind=kind, value=Decimal(value),
                                    **fields)
