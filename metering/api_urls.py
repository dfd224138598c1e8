"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from metering.api.ingest import UsageEventsIngestView

urlpatterns: list = [
    path("usage/events", UsageEventsIngestView.as_view(), name="usage-events"),
]
