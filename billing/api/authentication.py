"""`Authorization: Bearer <key>`: finds the key by prefix, checks its hash, sets the scope."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from billing import tenancy
from billing.context import Actor, set_actor
from billing.models import ApiKey
from billing.services import api_key_touch, key_matches, split_key


class ApiKeyPrincipal:
    """What `request.user` is for an API request: the key, with the user-ish API DRF expects."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    @property
    def pk(self):
        return f"key:{self.api_key.pk}"

    def __str__(self):
        return str(self.api_key)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw_key = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not raw_key.strip():  # schemes are case-insensitive
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <api key>'.")
        parsed = split_key(raw_key.strip())
        if parsed is None:
            raise exceptions.AuthenticationFailed("Malformed API key.")
        prefix, raw_key = parsed
        # The key decides the scope, so it is read before one exists: through a
        # database function that sees API keys only (migration 0006).
        api_key = next(iter(ApiKey.objects.raw("SELECT * FROM billing_api_key_by_prefix(%s)", [prefix])), None)
        if api_key is None or not key_matches(api_key, raw_key):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if not api_key.is_active:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        tenancy.activate(tenancy.OPERATOR if api_key.is_operator else tenancy.Scope(account_id=api_key.account_id))
        api_key_touch(api_key=api_key)
        set_actor(Actor(type="api_key", id=str(api_key.pk), label=str(api_key),
                        ip_address=request.META.get("REMOTE_ADDR")))
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Tells drf-spectacular that every API view takes `Authorization: Bearer <api key>`."""

    target_class = "billing.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key: `bk_<prefix>_<secret>`."}
