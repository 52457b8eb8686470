"""How much free text a client may send: the bounds several inputs share, in one place.

Every text an API accepts has a max_length (an oversized value is a 400 naming the field, and
nothing is written). Where the column has a max_length the serializer uses that; these are for
text kept in an unbounded column (TextField, JSON) or not kept at all (tokens)."""

EMAIL_MAX_LENGTH = 254  # the longest address SMTP carries (RFC 5321), as every email column
NAME_MAX_LENGTH = 200  # a person's or a company's name
NOTE_MAX_LENGTH = 2000  # an internal note, a reason given for a change
FCM_TOKEN_MAX_LENGTH = 4096  # FCM registration tokens are ~160 characters today; room to grow
SSO_TOKEN_MAX_LENGTH = 8192  # the webshop's signed JWT: a few claims, RS256
REFRESH_TOKEN_MAX_LENGTH = 200  # "<session uuid>.<43 url-safe characters>"
ITEMS_MAX = 1000  # ids, holders or labels in one request's list
JSON_MAX_BYTES = 64 * 1024  # a JSON option such as eligibility rules or subsector grouping
