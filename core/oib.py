"""OIB (osobni identifikacijski broj), the Croatian personal identification number.

An OIB is 11 digits; the 11th is a check digit over the first ten by ISO 7064, MOD 11,10:

    t = 10
    for each of the first ten digits d:
        t = (t + d) mod 10;  if t == 0: t = 10
        t = (2 * t) mod 11
    check = (11 - t) mod 10

Example: 69435151530 is valid; 69435151531 is not. The checksum itself comes from python-stdnum
(stdnum.hr.oib), a maintained library, rather than being written again here.

Every module validates OIBs through `oib_validate` so the rule and its error message live once.
"""

from stdnum import exceptions as stdnum_errors
from stdnum.hr import oib as stdnum_oib

from core.errors import ValidationFailed


def oib_is_valid(value: str) -> bool:
    return stdnum_oib.is_valid(value or "")


def oib_validate(value: str, *, field: str = "oib") -> str:
    """Return the normalised OIB or raise ValidationFailed (422) naming what is wrong."""
    if not value:
        raise ValidationFailed("An OIB is required.", code="oib_invalid", field=field)
    try:
        return stdnum_oib.validate(value)
    except stdnum_errors.InvalidLength:
        message = "An OIB has exactly 11 digits."
    except stdnum_errors.InvalidFormat:
        message = "An OIB contains only digits."
    except stdnum_errors.InvalidChecksum:
        message = "This OIB's check digit is wrong (ISO 7064 MOD 11,10); please re-check it."
    raise ValidationFailed(message, code="oib_invalid", field=field)
