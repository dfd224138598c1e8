"""OpenTelemetry traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, a request, its queries and a Celery task
reach an OTLP/HTTP collector (a local stand-in receiving the protobuf export); without it, no tracer
provider is installed and Django runs without the tracing middleware.

The traced case runs Django in a fresh process, as a web or worker process starts: tracing is set up
once per process and instruments Django, Celery and psycopg for the rest of its life."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

PROCESS = """
import json, django
django.setup()
from django.test import Client
from opentelemetry import trace
from billing.tasks import heartbeat
from billing.services.accounts import KEY_PREFIX_LENGTH

# A request that reads the database (the API key lookup) before answering 401.
status = Client(REMOTE_ADDR="127.0.0.1", HTTP_HOST="localhost").get(
    "/api/v1/plans", HTTP_AUTHORIZATION=f"Bearer bk_{'a' * KEY_PREFIX_LENGTH}_secret").status_code
heartbeat.apply()
provider = trace.get_tracer_provider()
if hasattr(provider, "force_flush"):
    provider.force_flush()
from django.conf import settings
print(json.dumps({"status": status, "provider": type(provider).__name__,
                  "middleware": [m for m in settings.MIDDLEWARE if "opentelemetry" in m]}))
"""


class Collector(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                    self.received.append({"path": self.path, "service": service, "name": span.name,
                                          "trace": span.trace_id.hex(), "parent": span.parent_span_id.hex(),
                                          "id": span.span_id.hex(), "attributes": attributes})
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def collector():
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Collector.received
    server.shutdown()


def run_django(**environment) -> dict:
    """A fresh Django process on this test's database; what it printed."""
    database = settings.DATABASES["default"]
    url = (f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or '127.0.0.1'}:"
           f"{database['PORT'] or 5432}/{database['NAME']}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url, **environment}
    done = subprocess.run([sys.executable, "-c", PROCESS], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_with_an_endpoint_a_request_its_queries_and_a_task_are_traced(collector):
    endpoint, spans = collector
    ran = run_django(OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_SERVICE_NAME="billing-test")

    assert ran["status"] == 401
    assert ran["provider"] == "TracerProvider"
    assert len(ran["middleware"]) == 1
    assert {span["path"] for span in spans} == {"/v1/traces"}
    assert {span["service"] for span in spans} == {"billing-test"}
    request = next(span for span in spans if span["attributes"].get("http.route", "").startswith("api/v1/plans")
                   or "api/v1/plans" in span["name"])
    queries = [span for span in spans if span["attributes"].get("db.system") == "postgresql"
               or span["attributes"].get("db.system.name") == "postgresql"]
    assert any(query["trace"] == request["trace"] for query in queries), "the request's queries are its children"
    assert any("billing.heartbeat" in span["name"] for span in spans)


def test_without_an_endpoint_no_tracer_provider_is_installed(client):
    """This test process started, like any, through BillingConfig.ready(), without an endpoint."""
    from opentelemetry import trace

    from billing import tracing

    assert settings.OTEL_EXPORTER_OTLP_ENDPOINT == ""
    assert client.get("/health/live", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"  # the API's no-op stand-in
    assert tracing.tracing_setup() is None
    assert [name for name in settings.MIDDLEWARE if "opentelemetry" in name] == []
    app = object()
    assert tracing.tracing_wsgi(app) is app
