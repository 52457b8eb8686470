"""Domain errors. Services raise these; the API exception handler turns each into one JSON shape:
{"error": code, "detail": message, "fields": {field: [messages]}} with the error's HTTP status."""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None,
                 fields: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.fields = fields or ({field: [detail]} if field else {})


class ValidationFailed(DomainError):
    """Well-formed input that breaks a business rule (HTTP 422)."""

    status_code = 422
    code = "validation_failed"


class PolicyRefused(DomainError):
    """A request the platform's policy refuses whatever its content, e.g. a support transfer
    inside the 48 hours before kick-off (HTTP 400)."""

    code = "policy_refused"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(DomainError):
    """A limit ran out (HTTP 429); `retry_after` seconds until it opens again."""

    status_code = 429
    code = "throttled"

    def __init__(self, detail: str, *, retry_after: int, **kwargs):
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"


class InvalidTransition(DomainError):
    """A status machine refused a transition."""

    code = "invalid_transition"
