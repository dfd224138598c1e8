from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from billing import health
from billing.admin.jobs import jobs_page
from billing.api.audit import AuditEntryListView
from billing.api.errors import json_404
from billing.api.keys import ApiKeyListCreateView, ApiKeyRevokeView
from billing.api.views import FeaturesView, InfoView
from billing.csp import allows_inline_styles
from exports.admin import export_page
from invoicing.hosted_links import HOSTED_INVOICE_PATH
from metering import health as metering_health
from payments.admin.search import search_page

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline: CSP allows it.
    path("docs/", allows_inline_styles(SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", authentication_classes=[], permission_classes=[])), name="docs"),
    path("meta/features", FeaturesView.as_view(), name="meta-features"),
    path("meta/info", InfoView.as_view(), name="meta-info"),
    path("audit-entries", AuditEntryListView.as_view(), name="audit-entries"),
    path("api-keys", ApiKeyListCreateView.as_view(), name="api-keys"),
    path("api-keys/<int:key_id>/revoke", ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("", include("billing.api_urls")),
    path("", include("metering.api_urls")),
    path("", include("invoicing.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("webhooks.api_urls")),
    path("", include("analytics.api_urls")),
    path("", include("exports.api_urls")),
    re_path(r"^.*$", json_404),  # unknown API paths answer in the API's error shape
]

urlpatterns = [
    path("console/invoices/", include("console.invoice_urls")),
    path("console/usage/", include("metering.console_urls")),
    path("", include("console.urls")),
    path(HOSTED_INVOICE_PATH.lstrip("/"), include("payments.hosted_urls")),
    path("admin/", include("analytics.urls")),  # the finance dashboard: before the admin's catch-all
    # Finance pages beside the model admins (signed-in staff; each checks its own permission).
    path("admin/exports/", admin.site.admin_view(export_page), name="admin-exports"),
    path("admin/search/", admin.site.admin_view(search_page), name="admin-search"),
    path("admin/jobs/", admin.site.admin_view(jobs_page), name="admin-jobs"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("health/rollups", metering_health.rollups, name="health-rollups"),
    path("metrics", health.metrics, name="metrics"),
    path("webhooks/stripe/", include("payments.webhook_urls")),
]

handler404 = "billing.views.not_found"
handler500 = "billing.views.server_error"
