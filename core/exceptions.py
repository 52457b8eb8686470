"""One error shape for the whole API, including Django's own 404/500 under /api/."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError, PayloadTooLarge, ServiceUnavailable
from core.locks import LockBusy, lock_failure
from core.outages import REDIS_DOWN

logger = logging.getLogger(__name__)
QUERY_CANCELED = "57014"  # PostgreSQL: statement_timeout ran out (DB_STATEMENT_TIMEOUT_MS)

DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "malformed_request",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
}


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"error": code, "detail": detail, "fields": fields or {}}


def _flatten(errors) -> dict[str, list[str]]:
    """DRF nests errors for nested serializers; flatten to dotted field paths."""
    flat: dict[str, list[str]] = {}

    def walk(value, prefix):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(value, list) and value and not isinstance(value[0], str):
            for index, sub in enumerate(value):
                walk(sub, f"{prefix}.{index}")
        else:
            items = value if isinstance(value, list) else [value]
            flat.setdefault(prefix or "non_field_errors", []).extend(str(i) for i in items)

    walk(errors, "")
    return flat


def api_exception_handler(exc, context):
    if lock_failure(exc):  # a lock wait outside the lock helpers, e.g. an UPDATE's, ran out
        exc = LockBusy()
    elif isinstance(exc, DatabaseError) and getattr(
            exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
        logger.warning("Answering 503, a statement ran past its timeout: %s", exc)
        exc = ServiceUnavailable("This took too long on our side; please try again.",
                                 code="timeout")
    elif isinstance(exc, REDIS_DOWN):  # the cache, channel layer or broker: README, "Redis"
        logger.warning("Answering 503, Redis is unreachable: %s", exc)
        exc = ServiceUnavailable("Part of our service is unavailable right now; please try "
                                 "again in a moment.")
    elif isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(f"The request body is larger than "
                              f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB.")
    elif isinstance(exc, TooManyFieldsSent):
        exc = DomainError("The request has too many fields.", code="too_many_fields")
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
        return Response(error_body(exc.code, exc.detail, exc.fields), status=exc.status_code,
                        headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()))
        detail = f"{first[0]}: {first[1][0]}" if first[0] != "non_field_errors" else first[1][0]
        response.data = error_body("invalid", detail, fields)
    else:
        code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
        response.data = error_body(code, str(exc.detail))
    return response


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "No such resource."), status=404)
    return page_not_found(request, exception)


def server_error(request):
    if _wants_json(request):
        body = error_body("server_error", "Something went wrong on our side; it has been logged.")
        return JsonResponse(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return django_server_error(request)
