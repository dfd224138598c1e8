"""Request id and the tenancy scope of each request: the request pipeline's steps
(billing/api/pipeline.py) as Django middleware.

Scope rules (the only places a request's scope is chosen):
- `/admin/` for an active staff user: the operator scope.
- `/console/` for a signed-in user: their active account, checked against membership.
- `/api/`: set by `billing.api.authentication.ApiKeyAuthentication` from the key.
- anything else: no scope, so tenant tables read as empty.
The scope is cleared before and after every request, so a persistent connection
never carries one request's scope into the next.

And what the API and the webhooks refuse before any view reads a byte
(`ApiTransportMiddleware`, docs/api.md "Limits and dependencies").
"""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils.http import parse_header_parameters

from billing import conf, tenancy
from billing.api import pipeline
from billing.api.errors import (
    UNAVAILABLE_HEADERS,
    UNAVAILABLE_MESSAGE,
    dependency_unavailable,
    error_response,
    too_large_message,
)
from billing.context import set_actor, set_request_id, user_actor
from billing.selectors import membership_for

logger = logging.getLogger(__name__)

ACTIVE_ACCOUNT_SESSION_KEY = "active_account_id"


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = pipeline.request_id_from(request.META.get("HTTP_X_REQUEST_ID", ""))
        # Cleared on request_finished, not here: Django logs 4xx/5xx responses
        # after the middleware chain returns, and those lines need the id too.
        set_request_id(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


@receiver(request_finished, dispatch_uid="billing_clear_request_id")
def _clear_request_id(sender, **kwargs):
    set_request_id("")


class TenantScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pipeline.request_leave()
        request.active_membership = None
        try:
            self._choose_scope(request)
            return self.get_response(request)
        finally:
            pipeline.request_leave()

    def _choose_scope(self, request) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        if request.path.startswith("/admin/") and user.is_active and user.is_staff:
            set_actor(user_actor(user, client_ip(request)))
            tenancy.activate(tenancy.OPERATOR)
        elif request.path.startswith("/console/"):
            membership = membership_for(user, request.session.get(ACTIVE_ACCOUNT_SESSION_KEY))
            if membership is None:
                return
            request.session[ACTIVE_ACCOUNT_SESSION_KEY] = membership.account_id
            request.active_membership = membership
            set_actor(user_actor(user, client_ip(request)))
            tenancy.activate(tenancy.Scope(account_id=membership.account_id))


TRANSPORT_PREFIXES = ("/api/", "/webhooks/")
JSON_MEDIA_TYPE = "application/json"
NUL_REFUSED = "Must not contain a NUL character (%00)."


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith(TRANSPORT_PREFIXES)


def body_limit(view_func) -> int:
    """The most bytes the view reads: its `max_body_bytes` (a number, or a function giving one),
    else API_MAX_BODY_BYTES."""
    view = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None) or view_func
    limit = getattr(view, "max_body_bytes", None)
    if callable(limit):
        limit = limit()
    return limit or conf.settings.API_MAX_BODY_BYTES


def media_type_refused(content_type: str) -> str | None:
    """Why a body of this Content-Type is refused (None: JSON in UTF-8, the only thing the API reads)."""
    media_type, params = parse_header_parameters(content_type or "")
    if media_type != JSON_MEDIA_TYPE:
        return f"Send the body as {JSON_MEDIA_TYPE}" + (f", not {media_type}." if media_type else ".")
    if params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        return f"Send the body in UTF-8, not {params['charset']}."
    return None


class ApiTransportMiddleware:
    """What the API and the Stripe webhook refuse before a view runs, in the API's error shape:
    a NUL in the path or the query string (400, PostgreSQL cannot store it), a Content-Length that
    is not a number (400), a body that is not JSON (415), or larger than the view reads (413,
    checked from Content-Length before anything is read). And a dependency that cannot be reached
    while a plain Django view runs: 503 with Retry-After (DRF views answer the same through
    `billing.api.errors.exception_handler`). The fast lanes (config/wsgi.py) hand such requests
    to Django, so they are answered here too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_path(request.path_info):
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request):
        if "\x00" in request.path_info:
            return error_response(400, "The path is invalid.", code="validation_error", fields={"path": [NUL_REFUSED]})
        try:
            query = request.GET
        except SuspiciousOperation:  # more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS
            return error_response(400, "Too many query parameters.")
        fields = {name.replace("\x00", "\\u0000"): [NUL_REFUSED] for name, values in query.lists()
                  if "\x00" in name or any("\x00" in value for value in values)}
        if fields:
            return error_response(400, "Some fields are invalid.", code="validation_error", fields=fields)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return error_response(400, "Content-Length must be a number of bytes.")
        if int(length) > 0:
            reason = media_type_refused(request.META.get("CONTENT_TYPE", ""))
            if reason:
                return error_response(415, reason)
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_api_path(request.path_info):
            return None
        limit = body_limit(view_func)
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return error_response(413, too_large_message(limit))
        return None

    def process_exception(self, request, exception):
        if not is_api_path(request.path_info):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, too_large_message())
        dependency = dependency_unavailable(exception)
        if dependency:
            logger.warning("%s unavailable: %s: %s", dependency, type(exception).__name__, exception)
            return error_response(503, UNAVAILABLE_MESSAGE, headers=UNAVAILABLE_HEADERS)
        return None
