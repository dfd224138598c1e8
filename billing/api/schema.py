"""The OpenAPI schema's view of every operation (DEFAULT_SCHEMA_CLASS, config/settings/api.py).

drf-spectacular describes what a view declares (its serializers, `extend_schema`);
this class adds what every API view shares and no view declares:

- the error responses an operation can answer, each in the shared `Error` shape
  (billing/api/errors.py), chosen by what the operation is: 400 for all (a NUL in the
  query string, a tampered cursor, invalid fields), 401/403/429/503 for authenticated
  operations, 404 where a path names something or a feature flag can switch the
  operation off, 409 for writes, 413/415 where a body is read, 422 where it prices a
  subscription or an invoice, 502 where the payment gateway is called
  (`calls_payment_gateway` on the view);
- `Retry-After` on 429 and 503;
- the optional `Idempotency-Key` header of authenticated POSTs (billing/api/idempotency.py);
- what the API reads more loosely than drf-spectacular says: an optional query parameter sent
  empty, a decimal given as a whole JSON integer; and DELETEs that answer 200 with a body;
- the operation's description from the view method's own docstring, never a base
  class's (every API view inherits ApiView's).
Request and response examples are added afterwards from the finished schema
(billing/api/schema_examples.py), where a view gives none.
"""

from __future__ import annotations

import inspect
import math
import re

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_serializer
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from billing.api.errors import RETRY_AFTER_SECONDS

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The operations that price a subscription or an invoice, and so refuse what would pass the amount bounds
# (pricing/money.py) with 422 amount_too_large.
PRICING_OPERATIONS = re.compile(
    r"POST /api/v1/subscriptions(/\{subscription_id\}/(change|cancel|overrides))?"
    r"|GET /api/v1/invoices/upcoming"
    r"|(POST|DELETE) /api/v1/invoices/\{invoice_id\}/(lines|discounts|finalize).*")
BODY_METHODS = ("POST", "PUT", "PATCH")

# Each status: when an operation answers it, and the codes it carries (docs/api.md, "Errors").
ERRORS = {
    400: "The request is invalid: `validation_error` (`fields` names each invalid field, query "
         "parameter, `path` or `cursor`), `invalid_body` (not UTF-8, not JSON, nested deeper than 64 "
         "levels) or `bad_request`.",
    401: "No API key, or one that is malformed, unknown or revoked: `not_authenticated`.",
    403: "The key lacks the scope this operation needs, or is an account key where an operator key "
         "is required: `permission_denied`.",
    404: "What the path or the request names does not exist or is not the key's to see "
         "(`not_found`), or this part of the API is switched off on this server (`feature_disabled`).",
    409: "The request conflicts with the current state: `invalid_state_transition`, `conflict`; "
         "with an `Idempotency-Key`: `idempotency_key_reused` (another request used it), "
         "`idempotency_request_in_progress` (retry shortly), `idempotency_key_invalid`.",
    413: "The body is larger than this operation reads: `payload_too_large` (`batch_too_large` for "
         "more than 1,000 usage events).",
    422: "What the request would make costs more than an invoice line or an invoice may hold: "
         "`amount_too_large`, naming the fields to lower.",
    415: "The body is not `application/json` in UTF-8: `unsupported_media_type`.",
    429: "Too many requests with this key in the current minute: `rate_limited`; retry after "
         "`Retry-After` seconds.",
    502: "The payment processor refused the request: `gateway_error`, `gateway_not_configured`.",
    503: "A service this request needs (the database, Redis, the payment processor) cannot be "
         "reached: `service_unavailable`, `gateway_unavailable`; retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {
    "schema": {"type": "integer", "minimum": 1},
    "description": f"Seconds to wait before retrying ({RETRY_AFTER_SECONDS} when a dependency is down).",
}}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Up to 255 characters, unique per request. The first answer is kept 24 hours and "
                "replayed (with `Idempotent-Replayed: true`) for a retry with the same key and body; "
                "another body with the key answers 409.",
)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `validation_error`.")
    message = serializers.CharField(help_text="For people; may change.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per invalid field (dotted for nesting, e.g. `events.3.metric`): its problems. Empty "
                  "when no field is to blame.")
    request_id = serializers.CharField(help_text="The request's id, also in the `X-Request-ID` header.")


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers (component `Error`)."""

    error = ErrorDetailSerializer()


def feature_flag_of(view) -> str | None:
    """The feature flag that can switch this view off (as billing.api.views.ApiView.initial reads it)."""
    from billing.api.views import FEATURE_OF_APP

    return getattr(view, "feature", None) or FEATURE_OF_APP.get(type(view).__module__.split(".")[0])


class StrictDecimalSchema(OpenApiSerializerFieldExtension):
    """A decimal input is a JSON string ("0.000001") or, for a whole number, a JSON integer
    (billing/api/strict.py reads both): the schema says both."""

    target_class = "billing.api.strict.StrictDecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        as_string = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return as_string
        field, whole = self.target, {"type": "integer"}
        if _in_serializer_flagged(field, "decimals_as_json_numbers"):
            whole["type"] = "number"  # read by msgspec (usage, quotas), which takes any JSON number exactly
        least, greatest = field.min_value, field.max_value
        if field.max_digits is not None:  # the whole numbers that fit the digits before the point
            largest = 10 ** (field.max_digits - (field.decimal_places or 0)) - 1
            least = -largest if least is None else max(least, -largest)
            greatest = largest if greatest is None else min(greatest, largest)
        if least is not None:
            whole["minimum"] = math.ceil(least)
        if greatest is not None:
            whole["maximum"] = math.floor(greatest)
        described = {key: as_string.pop(key) for key in ("description", "readOnly", "writeOnly", "nullable")
                     if key in as_string}
        if isinstance(as_string.get("type"), list):  # OpenAPI 3.1 writes null as a type: one branch says it
            as_string["type"] = next(kind for kind in as_string["type"] if kind != "null")
        return {"oneOf": [as_string, whole], **described}


class OneOfInputSchema(OpenApiSerializerExtension):
    """A body that may also take other shapes (`alternatives` on its serializer, e.g. one usage event
    instead of a batch): oneOf its own shape and theirs."""

    target_class = "billing.api.strict.StrictInput"
    match_subclasses = True
    priority = 1  # before billing.api.strict.StrictInputSchema, whose shape it extends

    @classmethod
    def _matches(cls, target) -> bool:
        return super()._matches(target) and bool(getattr(target, "alternatives", ()))

    def map_serializer(self, auto_schema, direction):
        from billing.api.strict import StrictInputSchema

        own = StrictInputSchema(self.target).map_serializer(auto_schema, direction)
        others = [auto_schema.resolve_serializer(alternative, direction).ref
                  for alternative in self.target.alternatives]
        return {"oneOf": [own, *others]}


def _in_serializer_flagged(field, flag: str) -> bool:
    node = field.parent
    while node is not None:
        if getattr(node, flag, False):
            return True
        node = getattr(node, "parent", None)
    return False


class ApiSchema(AutoSchema):
    def is_public(self) -> bool:
        return bool(getattr(self.view, "public", False))

    def get_description(self) -> str:
        method = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        own = method.__doc__ if method is not None else None
        own = own or type(self.view).__dict__.get("__doc__")
        return inspect.cleandoc(own) if own else ""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        # `method` is set once the schema describes an operation (a walk of the views may ask before).
        if getattr(self, "method", None) == "POST" and not self.is_public():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # An optional query parameter sent empty (`?status=`) counts as not sent (DRF reads query strings
            # as HTML forms); the paginator's `limit` and `cursor` are refused empty.
            if parameter["in"] == "query" and not parameter.get("required") and parameter["name"] not in (
                    "limit", "cursor"):
                parameter["allowEmptyValue"] = True
        return parameters

    def error_statuses(self) -> list[int]:
        statuses = [400]
        if not self.is_public():
            statuses += [401, 403, 429, 503]
        if "{" in self.path or feature_flag_of(self.view):
            statuses.append(404)
        if self.method in WRITE_METHODS and not self.is_public():
            statuses.append(409)
        if self.method in BODY_METHODS:
            statuses += [413, 415]
        if PRICING_OPERATIONS.fullmatch(f"{self.method} {self.path}"):
            statuses.append(422)
        gateway = getattr(self.view, "calls_payment_gateway", False)  # True, or the methods that do
        if gateway is True or self.method in (gateway or ()):
            statuses.append(502)
        return sorted(statuses)

    def _get_response_bodies(self, direction="response"):
        declared = self.get_response_serializers()
        if self.method == "DELETE" and is_serializer(declared):
            # drf-spectacular assumes a bodiless 204; these views answer 200 with what is left (an archived
            # plan, the invoice without the line).
            responses = {"200": self._get_response_for_code(declared, "200", direction=direction)}
        else:
            responses = super()._get_response_bodies(direction)
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for status in self.error_statuses():
            responses.setdefault(str(status), {
                "description": ERRORS[status],
                "content": {"application/json": {"schema": error}},
            })
        for status, response in responses.items():
            if int(status) in ERRORS and not response.get("description"):
                response["description"] = ERRORS[int(status)]
        for status in ("429", "503"):
            if status in responses:
                responses[status].setdefault("headers", {}).update(RETRY_AFTER)
        return dict(sorted(responses.items()))


ANY_OR_NULL = [{}, {"type": "null"}]


def any_value_or_null_simplified(result, generator, request, public):
    """A postprocessing hook: under OpenAPI 3.1 drf-spectacular writes a nullable JSON field as
    `oneOf: [{}, {"type": "null"}]`, which null matches twice (so `oneOf` refuses it); `{}` alone already
    takes any value, null included."""

    def simplified(node):
        if isinstance(node, list):
            return [simplified(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: simplified(value) for key, value in node.items()}
        if out.get("oneOf") == ANY_OR_NULL:
            del out["oneOf"]
        return out

    return simplified(result)
