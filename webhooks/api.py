"""Webhook endpoints over the API, for operator keys: register, change, disable or delete, rotate the
secret, read the deliveries with every attempt, and replay one event or every failed one since a time.
docs/api.md, "Webhook endpoints"; docs/events.md for what is delivered and how to verify it."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictInput,
    StrictIntegerField,
    StrictListField,
    StrictQuery,
    expect_no_fields,
    expect_no_parameters,
)
from billing.api.views import ApiView
from webhooks.models import (
    ALL_EVENTS,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.selectors import endpoint_deliveries
from webhooks.services import (
    deliveries_replay_failed,
    delivery_replay,
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
)

SCOPES = {"read": "billing:read", "write": "billing:write"}
SECRET_HELP = "The signing secret (`whsec_` + base64). Shown in this response only."


class EndpointOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "event_types", "enabled", "disabled_reason", "disabled_at",
                  "previous_secret_expires_at", "created_at", "updated_at"]


class EndpointWithSecretOutput(EndpointOutput):
    secret = serializers.CharField(help_text=SECRET_HELP)

    class Meta(EndpointOutput.Meta):
        fields = [*EndpointOutput.Meta.fields, "secret"]


class EndpointInput(StrictInput):
    url = StrictCharField.of(WebhookEndpoint, "url", help_text=(
        "http:// or https://; its host must resolve to public addresses (WEBHOOK_ALLOWED_NETWORKS aside)."))
    event_types = StrictListField(
        child=StrictCharField.of(WebhookEndpoint, "event_types"), allow_empty=False, max_length=100,
        required=False, help_text=f'Event types of the catalog (docs/events.md), or ["{ALL_EVENTS}"] for all '
                                  f'(the default).')
    description = StrictCharField.of(WebhookEndpoint, "description", required=False, allow_blank=True)
    enabled = StrictBooleanField(required=False, help_text="false: nothing is sent (default true).")


class AttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "result", "status_code", "latency_ms", "response_excerpt", "error",
                  "next_attempt_at"]


class DeliveryOutput(serializers.ModelSerializer):
    message_id = serializers.CharField(help_text="The `webhook-id` header (and the body's `id`).")
    attempt_log = AttemptOutput(many=True, help_text="Every attempt, oldest first.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_id", "event_type", "message_id", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "created_at", "finished_at", "replayed_at", "attempt_log"]


class DeliveryListQuery(StrictQuery):
    status = StrictChoiceField(choices=DeliveryStatus.choices, required=False)
    event_type = StrictCharField.of(WebhookDelivery, "event_type", required=False)


class ReplayInput(StrictInput):
    event_id = StrictIntegerField.of(WebhookDelivery, "event_id", min_value=1,
                                     help_text="The event to send again (a delivery's `event_id`).")


class ReplayFailedInput(StrictInput):
    since = StrictDateTimeField(help_text="Replay the failed deliveries of events from this time on.")


class ReplayFailedOutput(serializers.Serializer):
    replayed = serializers.IntegerField(help_text="How many failed deliveries were queued again.")


class WebhookEndpointListCreateView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = SCOPES

    @extend_schema(summary="List webhook endpoints (operator keys)", responses=EndpointOutput(many=True))
    def get(self, request):
        """The webhook endpoints, newest first, without their secrets. Operator keys only."""
        expect_no_parameters(request)
        return self.paginated(request, WebhookEndpoint.objects.all(), EndpointOutput)

    @extend_schema(summary="Register a webhook endpoint (operator keys)", request=EndpointInput,
                   responses={201: EndpointWithSecretOutput})
    def post(self, request):
        """Register an endpoint for some event types, or all. The answer carries its signing secret, once: every
        delivery is signed with it (Standard Webhooks, docs/events.md). A host that resolves to a loopback,
        private or link-local address is refused (400 naming `url`). Operator keys only."""
        data = EndpointInput(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        endpoint, secret = endpoint_create(url=given["url"], event_types=given.get("event_types", [ALL_EVENTS]),
                                           description=given.get("description", ""),
                                           enabled=given.get("enabled", True))
        return Response(EndpointOutput(endpoint).data | {"secret": secret}, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve a webhook endpoint (operator keys)", responses=EndpointOutput)
    def get(self, request, endpoint_id: int):
        """One endpoint, without its secret. Operator keys only."""
        return Response(EndpointOutput(get_object_or_404(WebhookEndpoint, pk=endpoint_id)).data)

    @extend_schema(summary="Update a webhook endpoint (operator keys)", request=EndpointInput,
                   responses=EndpointOutput)
    def patch(self, request, endpoint_id: int):
        """Change the URL, the event types, the description, or enable or disable it (`enabled`). Disabling
        fails its pending deliveries; enabling does not resend them (replay them). Operator keys only."""
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        data = EndpointInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(EndpointOutput(endpoint_update(endpoint=endpoint, **data.validated_data)).data)

    @extend_schema(summary="Delete a webhook endpoint (operator keys)", request=None, responses={204: None})
    def delete(self, request, endpoint_id: int):
        """Delete the endpoint with its deliveries and their attempts; the audit trail keeps that it was.
        To stop deliveries but keep the log, disable it instead. Operator keys only."""
        expect_no_fields(request)
        endpoint_delete(endpoint=get_object_or_404(WebhookEndpoint, pk=endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointSecretRotateView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:write"

    @extend_schema(summary="Rotate a webhook endpoint's secret (operator keys)", request=None,
                   responses=EndpointWithSecretOutput)
    def post(self, request, endpoint_id: int):
        """A new signing secret, in this answer only. The previous one stays valid for 24 hours
        (`previous_secret_expires_at`): deliveries carry both signatures meanwhile. Operator keys only."""
        expect_no_fields(request)
        endpoint, secret = endpoint_secret_rotate(endpoint=get_object_or_404(WebhookEndpoint, pk=endpoint_id))
        return Response(EndpointOutput(endpoint).data | {"secret": secret})


class WebhookDeliveryListView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:read"

    @extend_schema(summary="List an endpoint's deliveries with their attempts (operator keys)",
                   parameters=[DeliveryListQuery], responses=DeliveryOutput(many=True))
    def get(self, request, endpoint_id: int):
        """The endpoint's deliveries, newest first, each with every attempt: when, the result, the HTTP
        status, the latency and the start of the answer. Filter by `status` or `event_type`. Operator keys
        only."""
        query = DeliveryListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        return self.paginated(request, endpoint_deliveries(endpoint=endpoint, **query.validated_data),
                              DeliveryOutput)


class WebhookReplayView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:write"

    @extend_schema(summary="Replay one event to a webhook endpoint (operator keys)", request=ReplayInput,
                   responses=DeliveryOutput)
    def post(self, request, endpoint_id: int):
        """Send one event again now, with a fresh retry schedule and the same `webhook-id` (or for the first
        time: an event older than the endpoint). 409 when the endpoint is disabled. Operator keys only."""
        data = ReplayInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        delivery = delivery_replay(endpoint=endpoint, event_id=data.validated_data["event_id"])
        return Response(DeliveryOutput(endpoint_deliveries(endpoint=endpoint).get(pk=delivery.pk)).data)


class WebhookReplayFailedView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:write"

    @extend_schema(summary="Replay every failed delivery since a time (operator keys)", request=ReplayFailedInput,
                   responses=ReplayFailedOutput)
    def post(self, request, endpoint_id: int):
        """Queue again every failed delivery of the endpoint whose event came at or after `since` (after an
        outage of the receiver). 409 when the endpoint is disabled. Operator keys only."""
        data = ReplayFailedInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        return Response({"replayed": deliveries_replay_failed(endpoint=endpoint, **data.validated_data)})
