"""One error shape for every API failure:

    {"error": {"code": "...", "message": "...", "fields": {...}, "request_id": "..."}}

Every code, its status and meaning are listed in docs/api.md ("Errors"), and in the
OpenAPI schema (billing/api/schema.py).
"""

import logging
import re

import redis
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views.decorators.common import no_append_slash
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from billing.context import request_id
from billing.errors import BillingError

logger = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "server_error",
    503: "service_unavailable",
}
# How long a client should wait before retrying when PostgreSQL or Redis is unreachable.
RETRY_AFTER_SECONDS = 5
# SQLSTATEs that mean the server cannot be used right now rather than that the query is wrong:
# connection exceptions (class 08), shutdowns, "cannot connect now" and too many connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


class ServiceUnavailable(BillingError):
    """A service this request needs is unavailable; retry later."""

    status = 503
    code = "service_unavailable"


def error_body(status_code: int, message: str, *, code: str | None = None, fields: dict | None = None) -> dict:
    return {
        "error": {
            "code": code or CODES.get(status_code, "error"),
            "message": message,
            "fields": fields or {},
            "request_id": request_id(),
        }
    }


def error_response(status_code: int, message: str, *, code: str | None = None, fields: dict | None = None,
                   headers: dict | None = None) -> JsonResponse:
    """The error shape outside DRF (middleware, plain Django views, the catch-all routes)."""
    return JsonResponse(error_body(status_code, message, code=code, fields=fields), status=status_code,
                        headers=headers, json_dumps_params={"separators": (",", ":")})  # as DRF renders


def dependency_unavailable(exc: BaseException) -> str | None:
    """'postgres' or 'redis' when `exc` says that dependency cannot be reached (not that a query is wrong)."""
    if isinstance(exc, InterfaceError):
        return "postgres"
    if isinstance(exc, OperationalError):
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        # No SQLSTATE: the error came from the client library (refused, timed out, connection lost).
        if sqlstate is None or sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return "postgres"
        return None
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return "redis"
    return None


# Nothing internal (hosts, ports, driver messages) in the answer: those are logged with the request id.
UNAVAILABLE_MESSAGE = f"A service this request needs is unavailable; retry in {RETRY_AFTER_SECONDS} seconds."
UNAVAILABLE_HEADERS = {"Retry-After": str(RETRY_AFTER_SECONDS)}


def too_large_message(limit: int | None = None) -> str:
    return "The request body is too large" + (f": at most {limit:,} bytes." if limit else ".")


def _flatten(detail) -> dict:
    """DRF's nested ValidationError detail -> {"field": ["message", ...]} (dotted for nesting)."""
    if isinstance(detail, dict):
        fields = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub_key, sub_value in _flatten(value).items():
                    fields[f"{key}.{sub_key}"] = sub_value
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub_key, sub_value in _flatten(item).items():
                        fields[f"{key}.{index}.{sub_key}"] = sub_value
            else:
                fields[str(key)] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return fields
    return {"non_field_errors": [str(v) for v in (detail if isinstance(detail, list) else [detail])]}


_INDEX = re.compile(r"\[(\d+)\]")


def _dotted(fields: dict) -> dict:
    """Services name list items `charges[0].metric`; the API names every field one way: `charges.0.metric`."""
    return {_INDEX.sub(r".\1", str(name)): messages for name, messages in fields.items()}


def exception_handler(exc, context):
    headers = {}
    if isinstance(exc, BillingError):
        if exc.status == 503:
            headers = UNAVAILABLE_HEADERS
        return Response(error_body(exc.status, exc.message, code=exc.code, fields=_dotted(exc.fields)),
                        status=exc.status, headers=headers)
    dependency = dependency_unavailable(exc)
    if dependency:
        logger.warning("%s unavailable: %s: %s", dependency, type(exc).__name__, exc)
        return Response(error_body(503, UNAVAILABLE_MESSAGE), status=503, headers=UNAVAILABLE_HEADERS)
    if isinstance(exc, DataError) and "NUL" in str(exc):
        # The last wall: a NUL that no field check refused reached PostgreSQL (the log tells where).
        logger.warning("a NUL character reached the database", exc_info=exc)
        return Response(error_body(400, "A text value contains a NUL character (\\u0000), which cannot be "
                                   "stored."), status=400)
    if isinstance(exc, RequestDataTooBig):  # a view admitting more than DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(error_body(413, too_large_message()), status=413)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            body = error_body(400, "Some fields are invalid.", code="validation_error", fields=_flatten(exc.detail))
        else:
            detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
            body = error_body(exc.status_code, str(detail), code=CODES.get(exc.status_code))
        return Response(body, status=exc.status_code, headers=headers)
    logger.exception("unhandled API error", exc_info=exc)
    return Response(error_body(500, "Internal server error."), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


@csrf_exempt  # API paths authenticate with bearer keys, not cookies: no CSRF page for an unknown path
@no_append_slash  # "/api/v1" is not redirected to this catch-all at "/api/v1/"
def json_404(request, exception=None):
    return error_response(404, "Not found.")


def json_500(request):
    return error_response(500, "Internal server error.")
