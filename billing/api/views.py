"""The base class of every API view, and the public meta endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from billing import conf
from billing.api import idempotency
from billing.api.version import API_VERSION
from billing.errors import NotFound
from billing.models import ApiKey

REPLAYED_HEADER = "Idempotent-Replayed"
# The feature (billing.conf.FEATURE_FLAGS) whose flag switches each app's API off; a view may name its own.
FEATURE_OF_APP = {"metering": "usage_metering", "invoicing": "invoicing", "payments": "payments"}


class ApiView(APIView):
    """Adds `Idempotency-Key` handling to every POST; subclasses stay thin."""

    required_scopes: str | dict | None = None
    public = False
    feature: str | None = None  # default: the flag of the view's app (FEATURE_OF_APP)
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    def paginated(self, request, queryset, serializer_class, **serializer_kwargs):
        """One page of `queryset` (cursor pagination, ?limit=1-100) rendered with `serializer_class`."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True, **serializer_kwargs).data)

    def initial(self, request, *args, **kwargs):
        feature = self.feature or FEATURE_OF_APP.get(type(self).__module__.split(".")[0])
        if feature and not conf.feature_enabled(feature):
            raise NotFound(f"This part of the API ({feature}) is disabled on this server.", code="feature_disabled")
        super().initial(request, *args, **kwargs)
        self._idem_key = None
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key and isinstance(request.auth, ApiKey):
            self._idem_fingerprint = idempotency.body_fingerprint(request)
            self._idem_key = idempotency.begin(
                principal=str(request.auth.pk), key=key, fingerprint=self._idem_fingerprint
            )

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            response = Response(exc.data, status=exc.status, headers=exc.headers)
            response[REPLAYED_HEADER] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        cache_key = getattr(self, "_idem_key", None)
        if cache_key:
            headers = {h: response[h] for h in ("Location", "Retry-After") if response.has_header(h)}
            idempotency.finish(cache_key, fingerprint=self._idem_fingerprint, status=response.status_code,
                               data=getattr(response, "data", None), headers=headers)
            self._idem_key = None
        return response


class FeaturesView(ApiView):
    public = True
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        summary="Feature flags",
        responses=inline_serializer("Features", {"features": serializers.DictField(child=serializers.BooleanField())}),
    )
    def get(self, request):
        """Which parts of the API are switched on on this server. A part switched off answers 404
        `feature_disabled`. Needs no key."""
        return Response({"features": conf.features()})


class InfoView(ApiView):
    public = True
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        summary="Version information",
        responses=inline_serializer("Info", {"version": serializers.CharField(), "api_version": serializers.CharField()}),
    )
    def get(self, request):
        """The server's version and the API version. Needs no key."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            app_version = version("billing-platform")
        except PackageNotFoundError:
            app_version = "0.1.0"
        return Response({"name": "billing-platform", "version": app_version, "api_version": API_VERSION})
