"""`<id:name>` in URL patterns: a database id, 1 to 18 digits (every bigint id fits). Django's
`<id:name>` takes any number of digits, and a number past a bigint is an OverflowError (a 500)
on SQLite instead of the 404 any other missing id gets."""


class IdConverter:
    regex = "[0-9]{1,18}"
    MAX = 10**18 - 1  # the API schema's bound (SPECTACULAR_SETTINGS, PATH_CONVERTER_OVERRIDES)

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
