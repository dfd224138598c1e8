"""`Authorization: Bearer <key>`: the request pipeline's bearer parsing, key lookup and scope
(billing/api/pipeline.py), as DRF's authentication; the fast lanes call the same steps."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from billing.api import pipeline
from billing.models import ApiKey
from billing.services import api_key_touch


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
        try:
            parsed = pipeline.bearer_key(header)
            if parsed is None:
                return None
            api_key = pipeline.api_key_authenticated(*parsed)
        except pipeline.CredentialsRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        pipeline.api_key_enter(key_id=api_key.pk, account_id=api_key.account_id, label=str(api_key),
                               ip_address=request.META.get("REMOTE_ADDR"))
        api_key_touch(api_key=api_key)
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Tells drf-spectacular that every API view takes `Authorization: Bearer <api key>`."""

    target_class = "billing.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key: `bk_<prefix>_<secret>`."}
