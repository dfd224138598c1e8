"""Request id and the tenancy scope of each request.

Scope rules (the only places a request's scope is chosen):
- `/admin/` for an active staff user: the operator scope.
- `/console/` for a signed-in user: their active account, checked against membership.
- `/api/`: set by `billing.api.authentication.ApiKeyAuthentication` from the key.
- anything else: no scope, so tenant tables read as empty.
The scope is cleared before and after every request, so a persistent connection
never carries one request's scope into the next.
"""

import re
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver

from billing import tenancy
from billing.context import SYSTEM, set_actor, set_request_id, user_actor
from billing.selectors import membership_for

VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
ACTIVE_ACCOUNT_SESSION_KEY = "active_account_id"


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
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
        tenancy.reset()
        set_actor(SYSTEM)
        request.active_membership = None
        try:
            self._choose_scope(request)
            return self.get_response(request)
        finally:
            tenancy.reset()
            set_actor(SYSTEM)

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
