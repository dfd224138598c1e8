"""Scope checks. A view declares `required_scopes` as a scope, or a dict by HTTP method."""

from rest_framework import permissions

from billing.models import ApiKey

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def required_scope(view, method: str) -> str | None:
    scopes = getattr(view, "required_scopes", None)
    if isinstance(scopes, dict):
        if method in scopes:
            return scopes[method]
        return scopes.get("read" if method in READ_METHODS else "write")
    return scopes


class HasScope(permissions.BasePermission):
    message = "This API key lacks the scope this operation needs."

    def has_permission(self, request, view):
        if getattr(view, "public", False):
            return True
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        scope = required_scope(view, request.method)
        if scope is None:
            return False  # fail closed: a view that forgot to declare scopes serves nobody
        if not api_key.has_scope(scope):
            self.message = f"This API key lacks the '{scope}' scope."
            return False
        return True


class OperatorOnly(permissions.BasePermission):
    """Operator keys (no account) only: catalog writes, invoice actions, reconciliation."""

    message = "Only operator API keys (keys without an account) may do this."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) and request.auth.is_operator
