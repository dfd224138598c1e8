"""One error shape for every API failure:

    {"error": {"code": "...", "message": "...", "fields": {...}, "request_id": "..."}}
"""

import logging
import re

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from billing.context import request_id
from billing.errors import BillingError

logger = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "server_error",
}


def error_body(status_code: int, message: str, *, code: str | None = None, fields: dict | None = None) -> dict:
    return {
        "error": {
            "code": code or _CODES.get(status_code, "error"),
            "message": message,
            "fields": fields or {},
            "request_id": request_id(),
        }
    }


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
        return Response(error_body(exc.status, exc.message, code=exc.code, fields=_dotted(exc.fields)),
                        status=exc.status)
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
            code = _CODES.get(exc.status_code) if exc.status_code in _CODES else None
            body = error_body(exc.status_code, str(detail), code=code)
        return Response(body, status=exc.status_code, headers=headers)
    logger.exception("unhandled API error", exc_info=exc)
    return Response(error_body(500, "Internal server error."), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def json_404(request, exception=None):
    return JsonResponse(error_body(404, "Not found."), status=404)


def json_500(request):
    return JsonResponse(error_body(500, "Internal server error."), status=500)
