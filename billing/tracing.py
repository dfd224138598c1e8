"""OpenTelemetry traces of Django requests, Celery tasks and psycopg queries, sent over OTLP/HTTP.

Only when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/observability.md): otherwise nothing of
OpenTelemetry is even imported, and no tracer provider is installed. Set up once per process from
BillingConfig.ready(), so web processes, Celery workers and beat all trace; the span processor
exports from a background thread that the SDK restarts in a forked Celery child.

The standard OTEL_* variables the SDK reads itself still apply (OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS ...).
"""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)
_provider = None


def tracing_setup(*, exporter=None):
    """Install the tracer provider and instrument Django, Celery and psycopg; returns the provider,
    or None when no endpoint is configured. `exporter` replaces the OTLP one (tests)."""
    global _provider
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    if _provider is not None or not (endpoint or exporter):
        return _provider
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    # /health and /metrics are polled every few seconds: spans of them would drown the rest.
    DjangoInstrumentor().instrument(tracer_provider=provider, excluded_urls="/health/(live|ready)$,/metrics$")
    CeleryInstrumentor().instrument(tracer_provider=provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    logger.info("tracing: sending spans to %s", endpoint or type(exporter).__name__)
    return provider


def tracing_wsgi(application):
    """The WSGI application wrapped in a request span, when tracing is on: for requests the fast lanes
    in config/wsgi.py answer before Django (and so before the Django instrumentation)."""
    if _provider is None:
        return application
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(application, tracer_provider=_provider)
