"""Django REST framework and the OpenAPI schema."""

from .features import API_MAX_BODY_BYTES
from .metering import METERING_MAX_BATCH, METERING_MAX_PROPERTIES_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["billing.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["billing.api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["billing.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "billing.api.pagination.LimitCursorPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "billing.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "billing.api.schema.ApiSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["billing.api.content.JsonParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "billing.api.content.JsonNegotiation",
    "UNAUTHENTICATED_USER": None,
}

# API_THROTTLE_RATE_PER_MINUTE, API_IDEMPOTENCY_TTL_SECONDS, API_KEY_CACHE_SECONDS and API_MAX_BODY_BYTES are
# declared in billing/conf.py (read from the environment by features.py, checked at start-up).

# Request bodies (docs/api.md, "Limits and dependencies"): every API view and the Stripe webhook read at
# most API_MAX_BODY_BYTES, unless the view says more (`max_body_bytes`: usage batches); a larger
# Content-Length is answered 413 before a byte is read (billing.middleware.ApiTransportMiddleware).
# Django's own ceiling on a body read in memory (forms too; uploaded files are not counted): the largest
# view limit, a full usage batch (metering/ingest/decode.py `max_body_bytes`, the same formula).
try:
    DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, API_MAX_BODY_BYTES,
                                      METERING_MAX_BATCH * (3 * METERING_MAX_PROPERTIES_BYTES + 2048))
except TypeError:  # one of them is not a number: left to the start-up check, which names it
    DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# The fast lanes (docs/architecture.md, "Request pipeline"): WSGI middleware that answer a hot API
# operation before Django when they can, stacked in front of Django's handler by config/wsgi.py in
# this order (the first is the outermost). An empty list serves every request through Django.
FAST_LANES = [
    "metering.ingest.fastlane.IngestFastLane",
    "metering.quotas.fastlane.QuotaFastLane",
]

SPECTACULAR_SETTINGS = {
    "TITLE": "Billing API",
    "DESCRIPTION": "Customers, subscriptions, usage, quotas, invoices and payments. "
    "Authenticate with `Authorization: Bearer <api key>`.",
    "VERSION": "1.0.0",
    # 3.1: its Schema Object is JSON Schema 2020-12 (the event catalog's dialect) and it has `webhooks`.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # An example for every request body and answer that has none (billing/api/schema_examples.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "billing.api.schema_examples.add_examples",
                             # The event catalog as the webhooks we send (webhooks/openapi.py).
                             "webhooks.openapi.add_webhooks",
                             "billing.api.schema.any_value_or_null_simplified"],
    # Several models have a `status` (or share a choice set): name each enum after its model's choices.
    "ENUM_NAME_OVERRIDES": {
        "ApiScopeEnum": "billing.models.api_keys.ApiScope",
        "SubscriptionStatusEnum": "billing.models.subscriptions.SubscriptionStatus",
        "ChangeTimingEnum": "billing.models.catalog.ChangeTiming",
        "ProrationBehaviorEnum": "billing.models.catalog.ProrationBehavior",
        "IntervalEnum": "billing.models.catalog.Interval",
        "ChargeModelEnum": "pricing.terms.ChargeModel.choices",  # an Enum would be read as (value, name)
        "InvoiceStatusEnum": "invoicing.models.invoices.InvoiceStatus",
        "CreditNoteStatusEnum": "invoicing.models.credit_notes.CreditNoteStatus",
        "PaymentStatusEnum": "payments.models.payments.PaymentStatus",
        "RefundStatusEnum": "payments.models.payments.RefundStatus",
        "ReconciliationRunStatusEnum": "payments.models.reconciliation.RunStatus",
        "OutboxStatusEnum": "billing.models.outbox.OutboxStatus",
        "InvoiceLineKindEnum": "pricing.lines.LineKind.choices",
        "CreditEntryKindEnum": "billing.models.customers.CreditKind",
        "DiscrepancyKindEnum": "payments.models.reconciliation.DiscrepancyKind",
    },
}
