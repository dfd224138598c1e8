"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from metering.api.ingest import UsageEventsIngestView
from metering.api.metrics import MetricDetailView, MetricListCreateView
from metering.api.quotas import QuotaCheckView, QuotaConsumeView
from metering.api.usage import CurrentUsageView, MetricUsageView, UsageHistoryView

urlpatterns: list = [
    path("usage/events", UsageEventsIngestView.as_view(), name="usage-events"),
    path("usage/current", CurrentUsageView.as_view(), name="usage-current"),
    path("usage/history", UsageHistoryView.as_view(), name="usage-history"),
    path("usage/<slug:metric>", MetricUsageView.as_view(), name="usage-metric"),
    path("quotas/check", QuotaCheckView.as_view(), name="quotas-check"),
    path("quotas/consume", QuotaConsumeView.as_view(), name="quotas-consume"),
    path("billable-metrics", MetricListCreateView.as_view(), name="billable-metrics"),
    path("billable-metrics/<slug:code>", MetricDetailView.as_view(), name="billable-metric"),
]
