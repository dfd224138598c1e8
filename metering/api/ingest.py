"""POST /api/v1/usage/events: one event or a batch of up to 1,000.

The body is decoded and validated by msgspec and the ingestion service, not by
a per-field DRF serializer (the serializers below describe the API for
OpenAPI only; metering/ingest/decode.py refuses unknown fields as they say). Authentication, scopes (`usage:write`), throttling and the
optional request `Idempotency-Key` are the same as every other view's.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.keycache import api_key_remember
from billing.api.strict import (
    StrictCharField,
    StrictDateTimeField,
    StrictDecimalField,
    StrictInput,
    StrictIntegerField,
    StrictJSONObjectField,
    StrictSlugField,
)
from billing.models import Account, BillableMetric
from metering.api.common import MeteringApiView
from metering.ingest.decode import max_body_bytes
from metering.services import usage_events_ingest
from metering.services.ingestion import IngestResult
from metering.values import DECIMAL_PLACES, DESCRIPTION, INTEGER_DIGITS


@extend_schema_field({"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]})
class EventTimestampField(StrictDateTimeField):
    """An RFC 3339 date-time, or Unix seconds as a JSON number (what metering/ingest/decode.py reads)."""


class UsageEventInput(StrictInput):
    # msgspec reads these bodies (metering/ingest/decode.py): decimals may be JSON numbers, and null is
    # "not given" for the optional fields; the schema says so.
    decimals_as_json_numbers = True

    metric = StrictSlugField.of(BillableMetric, "code", help_text="Code of a billable metric.")
    idempotency_key = StrictCharField(
        max_length=255, help_text="Unique per account; a key seen before is acknowledged and not counted again.")
    timestamp = EventTimestampField(
        required=False, allow_null=True, help_text="RFC 3339 with an offset, or Unix seconds. Default (or null): "
        "now. At most 35 days old (the acceptance window) and 5 minutes ahead.")
    value = StrictDecimalField(
        max_digits=INTEGER_DIGITS + DECIMAL_PLACES, decimal_places=DECIMAL_PLACES, required=False, allow_null=True,
        help_text=f"A number or a decimal string: {DESCRIPTION}. Only for metrics that aggregate it (not count "
        "metrics, not metrics of a property). Negative only as a correction: sum metrics, operator keys.")
    properties = StrictJSONObjectField(required=False, help_text="At most 4 KB as JSON.")
    account_id = StrictIntegerField.of(Account, "id", required=False, allow_null=True,
                                       help_text="Required with an operator key (or external_customer_id).")
    external_customer_id = StrictCharField.of(Account, "external_id", required=False, allow_null=True)


class UsageBatchInput(StrictInput):
    events = UsageEventInput(many=True, min_length=1, max_length=1000, help_text="1 to 1,000 events.")


class UsageEventsBody(UsageBatchInput):
    """A batch of events, or one event alone."""

    alternatives = (UsageEventInput,)  # the schema says oneOf both (billing/api/schema.py)


class RejectedEventOutput(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    reason = serializers.CharField()


class IngestOutput(serializers.Serializer):
    received = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text="Stored and counted now.")
    duplicates = serializers.ListField(child=serializers.IntegerField(),
                                       help_text="Indexes of events whose key was seen before (not counted again).")
    rejected = RejectedEventOutput(many=True)


class UsageEventsIngestView(MeteringApiView):
    required_scopes = "usage:write"
    max_body_bytes = staticmethod(max_body_bytes)  # a full batch: more than other views (docs/api.md)

    @extend_schema(
        summary="Send usage events",
        description="One event, or `{\"events\": [...]}` with up to 1,000. Every valid event is stored; "
        "each rejected one is listed with its index, field and reason. Answers 202, or 422 when no event "
        "was valid. Resending a batch after any failure is safe: each event counts once.",
        request=UsageEventsBody,
        responses={202: IngestOutput, 422: IngestOutput},
        examples=[OpenApiExample("batch", request_only=True, value={"events": [
            {"metric": "api_calls", "idempotency_key": "req-8f2a", "timestamp": "2026-11-21T10:00:00Z",
             "properties": {"region": "eu"}}]})],
    )
    def post(self, request):
        api_key = request.auth
        result = usage_events_ingest(body=request.body, key_account_id=api_key.account_id)
        api_key_remember(api_key=request.auth)  # later batches with this key may take the fast lane
        return Response(*ingest_answer(result))


def ingest_answer(result: IngestResult) -> tuple[dict, int]:
    """The answer's body and status: 202, or 422 when no event was valid (the fast lane answers the same)."""
    body = {
        "received": result.received,
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": [{"index": r.index, "field": r.field, "reason": r.reason} for r in result.rejected],
    }
    nothing_valid = result.accepted == 0 and not result.duplicates
    return body, status.HTTP_422_UNPROCESSABLE_ENTITY if nothing_valid else status.HTTP_202_ACCEPTED
