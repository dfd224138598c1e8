"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from webhooks import api

urlpatterns: list = [
    path("webhook-endpoints", api.WebhookEndpointListCreateView.as_view(), name="webhook-endpoints"),
    path("webhook-endpoints/<int:endpoint_id>", api.WebhookEndpointDetailView.as_view(), name="webhook-endpoint"),
    path("webhook-endpoints/<int:endpoint_id>/rotate-secret", api.WebhookEndpointSecretRotateView.as_view(),
         name="webhook-endpoint-rotate-secret"),
    path("webhook-endpoints/<int:endpoint_id>/deliveries", api.WebhookDeliveryListView.as_view(),
         name="webhook-endpoint-deliveries"),
    path("webhook-endpoints/<int:endpoint_id>/replay", api.WebhookReplayView.as_view(),
         name="webhook-endpoint-replay"),
    path("webhook-endpoints/<int:endpoint_id>/replay-failed", api.WebhookReplayFailedView.as_view(),
         name="webhook-endpoint-replay-failed"),
]
