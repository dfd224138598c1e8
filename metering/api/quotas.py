"""Quota checks and consumption for operator services (fast: Redis counters, cached limits).

These sit in front of every request of an operator's service, so, like event
ingestion, they decode and validate with msgspec rather than DRF serializers; the
serializers below describe the same shapes for the OpenAPI schema.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Annotated

import msgspec
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.fields import DateTimeField
from rest_framework.response import Response

from billing import clock
from billing.api.content import NOT_UTF8, TOO_DEEP, BodyInvalid
from billing.api.errors import error_body
from billing.api.keycache import api_key_remember
from billing.api.schema import ErrorSerializer
from billing.api.strict import (
    NUL_REFUSED,
    UNKNOWN_FIELD,
    StrictCharField,
    StrictDecimalField,
    StrictInput,
    StrictIntegerField,
    StrictJSONObjectField,
    StrictSlugField,
    column_max_length,
    column_range,
    nul_paths,
)
from billing.errors import ValidationFailed
from billing.models import Account, BillableMetric
from metering.api.common import MeteringApiView, account_for, decimal_text
from metering.services import quota_check, quota_consume
from metering.values import DECIMAL_PLACES, DESCRIPTION, INTEGER_DIGITS

IDEMPOTENCY_KEY_LENGTH = 200


class QuotaInput(StrictInput):
    # msgspec reads these bodies (QuotaRequest below): a quantity may be a JSON number, and null is "not
    # given" for the optional fields; the schema says so.
    decimals_as_json_numbers = True

    metric = StrictSlugField.of(BillableMetric, "code")
    quantity = StrictDecimalField(max_digits=INTEGER_DIGITS + DECIMAL_PLACES, decimal_places=DECIMAL_PLACES,
                                  default=1, help_text=f"Positive, default 1: {DESCRIPTION}.")
    account_id = StrictIntegerField.of(Account, "id", required=False, allow_null=True,
                                       help_text="Operator keys: the account.")
    external_customer_id = StrictCharField.of(Account, "external_id", required=False, allow_null=True)


class ConsumeInput(QuotaInput):
    idempotency_key = StrictCharField(required=False, allow_null=True, max_length=IDEMPOTENCY_KEY_LENGTH,
                                      help_text="Consuming again with the same key counts once.")
    properties = StrictJSONObjectField(required=False, allow_null=True)


class QuotaOutput(serializers.Serializer):
    allowed = serializers.BooleanField()
    metric = serializers.CharField()
    requested = serializers.CharField()
    usage = serializers.CharField(help_text="Usage in the period (after this request when consumed).")
    limit = serializers.IntegerField(allow_null=True, help_text="Included units; null = no limit.")
    remaining = serializers.CharField(allow_null=True, help_text="Included units left.")
    overage = serializers.CharField()
    cap_mode = serializers.CharField(allow_null=True)
    hard_limit = serializers.CharField(allow_null=True, help_text="Where a hard cap refuses (limit plus grace).")
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    consumed = serializers.BooleanField()
    duplicate = serializers.BooleanField()
    source = serializers.CharField(help_text="redis, or postgres when Redis was unavailable.")
    overdue_state = serializers.ChoiceField(choices=["good", "warning", "restricted", "suspended"], help_text=(
        "The account's standing under the overdue policy: `restricted` refuses metrics with a soft limit, "
        "`suspended` refuses every metric, until the invoices past due are paid."))


class QuotaRefusedOutput(ErrorSerializer):
    quota = QuotaOutput(required=False, help_text="With `quota_exceeded` (the hard limit refused): the check's "
                        "answer. Absent when the key is rate limited (`rate_limited`).")


_NO_NUL = r"^[^\x00]*$"  # PostgreSQL refuses NUL in text: refused here, naming the field


class QuotaRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The quota check's body, as strict as the API's serializers (billing/api/strict.py):
    unknown fields refused, account ids within the column, NUL refused."""

    metric: Annotated[str, msgspec.Meta(pattern=r"^[-a-zA-Z0-9_]+$",
                                        max_length=column_max_length(BillableMetric, "code"))]
    quantity: Decimal = Decimal(1)
    account_id: Annotated[int, msgspec.Meta(ge=column_range(Account, "id")[0],
                                            le=column_range(Account, "id")[1])] | None = None
    external_customer_id: Annotated[str, msgspec.Meta(min_length=1,
                                                      max_length=column_max_length(Account, "external_id"),
                                                      pattern=_NO_NUL)] | None = None


class ConsumeRequest(QuotaRequest, forbid_unknown_fields=True):
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=IDEMPOTENCY_KEY_LENGTH,
                                                 pattern=_NO_NUL)] | None = None
    properties: dict | None = None


_FIELD_IN_ERROR = re.compile(r"`\$\.([A-Za-z_]+)|field `([^`]*)`")
_DATETIME = DateTimeField()


@functools.lru_cache(maxsize=4096)
def _datetime_text(value) -> str:
    """As DRF renders it; a period's bounds repeat in every check of the period, so remembered."""
    return _DATETIME.to_representation(value)


def request_data(request_type: type[QuotaRequest], body: bytes) -> dict:
    """The decoded, validated body; ValidationFailed names the field."""
    try:
        data = msgspec.json.decode(body or b"{}", type=request_type)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(_named(str(exc))) from None
    except msgspec.DecodeError:
        raise ValidationFailed({"non_field_errors": "The body must be a JSON object."}) from None
    except UnicodeDecodeError:
        raise BodyInvalid(NOT_UTF8) from None
    except RecursionError:
        raise BodyInvalid(TOO_DEEP) from None
    if not data.quantity.is_finite() or data.quantity < 0:
        raise ValidationFailed({"quantity": "Must be a number of units, zero or more."})
    properties = getattr(data, "properties", None)
    if properties and (paths := nul_paths(properties)):
        raise ValidationFailed({f"properties.{path}": NUL_REFUSED for path in paths})
    return {field: getattr(data, field) for field in data.__struct_fields__ if getattr(data, field) is not None}


def _named(error: str) -> dict:
    """msgspec's error as the API's: {field: [message]}, in the words of billing/api/strict.py."""
    match = _FIELD_IN_ERROR.search(error)
    field = (match.group(1) or match.group(2)) if match else "non_field_errors"
    if error.startswith("Object contains unknown field"):
        return {field: UNKNOWN_FIELD}
    if error.startswith("Expected `str` matching regex '^[^") and "x00]" in error:
        return {field: NUL_REFUSED}
    return {field: error.split(" - at ")[0]}


def answer_body(decision) -> dict:
    return {
        "allowed": decision.allowed, "metric": decision.metric_code, "requested": decimal_text(decision.requested),
        "usage": decimal_text(decision.usage), "limit": decision.limit, "remaining": decimal_text(decision.remaining),
        "overage": decimal_text(decision.overage), "cap_mode": decision.cap_mode,
        "hard_limit": decimal_text(decision.hard_limit),
        "period_start": _datetime_text(decision.period_start) if decision.period_start else None,
        "period_end": _datetime_text(decision.period_end) if decision.period_end else None,
        "consumed": decision.consumed, "duplicate": decision.duplicate, "source": decision.source,
        "overdue_state": decision.overdue_state,
    }


def retry_after(decision) -> dict:
    if decision.allowed or decision.period_end is None:
        return {}
    return {"Retry-After": str(max(1, int((decision.period_end - clock.now()).total_seconds())))}


class QuotaCheckView(MeteringApiView):
    required_scopes = "usage:read"

    @extend_schema(summary="May the account use N more units now?", request=QuotaInput, responses=QuotaOutput,
                   description="Records nothing. `allowed` is false past a hard cap (limit plus grace); a soft cap "
                   "allows and reports the overage. When refused, `Retry-After` is the time to the period end.")
    def post(self, request):
        data = request_data(QuotaRequest, request.body)
        decision = quota_check(account_id=account_for(request, data, cached=True), metric_code=data["metric"],
                               quantity=data.get("quantity", Decimal(1)))
        api_key_remember(api_key=request.auth)  # later checks with this key may take the fast lane
        return Response(answer_body(decision), headers=retry_after(decision))


class QuotaConsumeView(MeteringApiView):
    required_scopes = "usage:write"

    @extend_schema(summary="Check and record usage atomically", request=ConsumeInput,
                   responses={200: QuotaOutput, 429: QuotaRefusedOutput},
                   description="Records a usage event for the units when allowed. Past a hard cap: 429 with "
                   "`Retry-After` set to the period end, nothing recorded. Concurrent consumers never pass a "
                   "hard cap together.")
    def post(self, request):
        data = request_data(ConsumeRequest, request.body)
        decision = quota_consume(account_id=account_for(request, data), metric_code=data["metric"],
                                 quantity=data.get("quantity", Decimal(1)), idempotency_key=data.get("idempotency_key"),
                                 properties=data.get("properties"))
        if not decision.allowed:
            body = error_body(429, f"Hard limit of {decision.metric_code} reached for this period.",
                              code="quota_exceeded")
            body["quota"] = answer_body(decision)
            return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS, headers=retry_after(decision))
        return Response(answer_body(decision))
