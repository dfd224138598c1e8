"""Request bodies the API cannot use are refused with a 4xx in the error shape, never a 5xx:
too large (413, past each view's limit, which admits the documented maximum), not JSON (415),
not UTF-8 or nested too deep (400 naming `body`); on the Django path, the fast lanes and the
Stripe webhook alike."""

import json

import pytest
from django.test import Client

from billing import tenancy
from billing.models import BillableMetric
from metering import conf
from metering.ingest.fastlane import IngestFastLane
from metering.quotas.fastlane import QuotaFastLane
from metering.selectors import stored_event_count
from tests.billing.catalog_factories import plan
from tests.metering.lanes import CountingDjango, wsgi_call

pytestmark = pytest.mark.django_db
JSON = "application/json"
MAX_JSON_DEPTH = 64  # docs/api.md, "Limits and dependencies"
API_MAX_BODY_BYTES = 1024 * 1024  # the default of the setting of that name


def max_body_bytes() -> int:
    """The usage endpoint's limit as docs/api.md gives it: per event, three times the properties limit
    and 2 KiB."""
    return conf.settings.METERING_MAX_BATCH * (3 * conf.settings.METERING_MAX_PROPERTIES_BYTES + 2048)


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def sender(make_account, api_key_for):
    """(account, bearer headers): an account key that may do everything an account key can."""
    with tenancy.operator_scope():
        BillableMetric.objects.create(code="calls", name="calls", aggregation="count")
        BillableMetric.objects.create(code="tokens", name="tokens", aggregation="sum")
    account = make_account()
    key = api_key_for(account, ["billing:read", "billing:write", "usage:read", "usage:write"])
    return account, {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == JSON
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields", "request_id"}
    assert error["code"] == code
    assert error["request_id"] == response["X-Request-ID"]
    if field:
        assert field in error["fields"]


def maximal_event(index: int) -> dict:
    """An event whose every field is as long as docs/metering.md allows, properties included."""
    limit = conf.settings.METERING_MAX_PROPERTIES_BYTES
    properties = {"p": ""}
    properties["p"] = "x" * (limit - len(json.dumps(properties, separators=(",", ":"))))
    assert len(json.dumps(properties, separators=(",", ":"))) == limit
    return {"metric": "tokens", "idempotency_key": f"{index:08d}".ljust(255, "k"), "value": "1",
            "timestamp": None, "properties": properties}  # timestamp null: now


def test_a_full_batch_of_events_with_maximal_properties_is_accepted(client, sender):
    account, headers = sender
    batch = {"events": [maximal_event(i) for i in range(conf.settings.METERING_MAX_BATCH)]}
    body = json.dumps(batch).encode()  # json.dumps' default separators: spaces included
    assert len(body) > 2_621_440  # more than Django's default ceiling (DATA_UPLOAD_MAX_MEMORY_SIZE)
    response = client.post("/api/v1/usage/events", body, content_type=JSON, **headers)
    assert response.status_code == 202, response.content[:300]
    assert response.json()["accepted"] == conf.settings.METERING_MAX_BATCH
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == conf.settings.METERING_MAX_BATCH


def test_a_usage_body_past_its_limit_is_a_413_before_it_is_read(client, sender):
    _, headers = sender
    body = b" " * (max_body_bytes() + 1)
    response = client.post("/api/v1/usage/events", body, content_type=JSON, **headers)
    assert_error(response, 413, "payload_too_large")
    assert f"{max_body_bytes():,}" in response.json()["error"]["message"]


def test_any_other_body_past_the_api_limit_is_a_413(client, sender):
    _, headers = sender
    body = json.dumps({"name": "x" * API_MAX_BODY_BYTES}).encode()
    assert_error(client.post("/api/v1/subscriptions", body, content_type=JSON, **headers), 413, "payload_too_large")


def test_an_oversized_stripe_webhook_is_a_413_in_the_error_shape(client):
    body = b"{" + b" " * API_MAX_BODY_BYTES + b"}"
    response = client.post("/webhooks/stripe/", body, content_type=JSON, HTTP_STRIPE_SIGNATURE="t=1,v1=x")
    assert_error(response, 413, "payload_too_large")


def test_the_stripe_webhook_answers_a_wrong_method_with_a_json_405(client):
    response = client.get("/webhooks/stripe/")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("path, body", [
    ("/api/v1/subscriptions", b'{"plan": "\xff\xfe"}'),
    ("/api/v1/usage/events", b'{"metric": "calls", "idempotency_key": "\xff"}'),
    ("/api/v1/usage/events", b'{"events": [{"metric": "calls", "idempotency_key": "\xc3\x28"}]}'),
    ("/api/v1/quotas/check", b'{"metric": "\xff"}'),
    ("/api/v1/quotas/consume", b'{"metric": "calls", "properties": {"a": "\xed\xa0\x80"}}'),
])
def test_a_body_that_is_not_utf8_is_a_400_naming_the_body(client, sender, path, body):
    _, headers = sender
    assert_error(client.post(path, body, content_type=JSON, **headers), 400, "invalid_body", "body")


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("path, body", [
    ("/api/v1/subscriptions", nested(100_000)),
    ("/api/v1/usage/events", b'{"events": [{"metric": "calls", "properties": {"a": ' + nested(100_000) + b"}}]}"),
    ("/api/v1/usage/events", b'{"metric": "calls", "properties": {"a": ' + nested(100_000) + b"}}"),
    ("/api/v1/quotas/consume", b'{"metric": "calls", "properties": {"a": ' + nested(100_000) + b"}}"),
])
def test_a_body_nested_deeper_than_the_stack_is_a_400_naming_it(client, sender, path, body):
    _, headers = sender
    assert_error(client.post(path, body, content_type=JSON, **headers), 400, "invalid_body", "body")


def test_a_body_nested_deeper_than_64_levels_is_refused_and_64_levels_are_read(client, sender):
    _, headers = sender
    # The body's object is level 1, `metadata` level 2, its value levels 3 and deeper.
    at_limit = {"plan": "no-such-plan", "metadata": {"a": json.loads(nested(MAX_JSON_DEPTH - 2))}}
    past_limit = {"plan": "no-such-plan", "metadata": {"a": json.loads(nested(MAX_JSON_DEPTH - 1))}}
    read = client.post("/api/v1/subscriptions", at_limit, content_type=JSON, **headers)
    assert read.json()["error"]["code"] == "validation_error"  # read, then refused for its plan
    refused = client.post("/api/v1/subscriptions", past_limit, content_type=JSON, **headers)
    assert_error(refused, 400, "invalid_body", "body")
    assert refused.json()["error"]["fields"]["body"] == [f"Nested deeper than {MAX_JSON_DEPTH} levels."]


def test_usage_properties_nested_too_deep_reject_only_their_event(client, sender):
    account, headers = sender
    deep = json.loads(nested(MAX_JSON_DEPTH))  # 64 levels inside the properties object: 65 in all
    body = {"events": [{"metric": "calls", "idempotency_key": "flat", "properties": {"a": 1}},
                       {"metric": "calls", "idempotency_key": "deep", "properties": {"a": deep}}]}
    response = client.post("/api/v1/usage/events", body, content_type=JSON, **headers)
    assert response.status_code == 202
    assert response.json()["rejected"] == [{"index": 1, "field": "properties",
                                            "reason": f"Nested deeper than {MAX_JSON_DEPTH} levels."}]
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 1


@pytest.mark.parametrize("path", ["/api/v1/subscriptions", "/api/v1/usage/events", "/api/v1/quotas/check",
                                  "/api/v1/api-keys/1/revoke", "/webhooks/stripe/"])
def test_a_body_that_is_not_json_in_utf8_is_a_415_on_every_endpoint(client, sender, path):
    _, headers = sender
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1",
                         ""):
        response = client.generic("POST", path, b'{"metric": "calls"}', content_type=content_type, **headers)
        assert_error(response, 415, "unsupported_media_type")
    utf8 = client.generic("POST", path, b'{"metric": "calls"}', content_type="application/json; charset=UTF-8",
                          **headers)
    assert utf8.status_code != 415


@pytest.fixture
def lanes(keep_test_transaction, sender):
    """Both fast lanes in front of Django, as config/wsgi.py stacks them, with the key already cached."""
    account, headers = sender
    key = headers["HTTP_AUTHORIZATION"].split()[1]
    app = IngestFastLane(QuotaFastLane(CountingDjango()))
    warm = wsgi_call(app, key, {"metric": "calls", "idempotency_key": "warm"}, "/api/v1/usage/events")
    assert warm[0] == 202
    return app, key


@pytest.mark.parametrize("path", ["/api/v1/usage/events", "/api/v1/quotas/check"])
def test_the_fast_lanes_refuse_what_django_refuses_with_the_same_answers(lanes, path):
    app, key = lanes
    django = app.app.app  # the counting Django handler behind both lanes
    before = django.calls
    event = {"metric": "calls", "idempotency_key": "lane-1"}
    answers = [
        wsgi_call(app, key, event, path, CONTENT_TYPE="text/plain"),
        wsgi_call(app, key, b'{"metric": "\xff", "idempotency_key": "x"}', path),
        wsgi_call(app, key, nested(100_000), path),
        wsgi_call(app, key, event, path, QUERY_STRING="status=a%00"),
        wsgi_call(app, key, b" " * (max_body_bytes() + 1), path),
    ]
    assert [status for status, _, _ in answers] == [415, 400, 400, 400, 413]
    assert django.calls == before + len(answers)  # every one answered by Django, none by a lane
    for _, headers, body in answers:
        assert headers["Content-Type"] == JSON and set(body["error"]) == {"code", "message", "fields", "request_id"}


@pytest.mark.parametrize("metadata", [b'{"\\udc00": 1}', b'{"a": "\\ud816x"}'])
def test_a_lone_surrogate_escape_is_a_400_naming_the_body(client, sender, metadata):
    """json.loads reads `\\ud816` alone as a character nothing can encode; storing it failed with a 500."""
    account, headers = sender
    with tenancy.operator_scope():
        plan(code="surrogates", is_public=True)
    body = b'{"plan": "surrogates", "metadata": ' + metadata + b"}"
    response = client.post("/api/v1/subscriptions", body, content_type=JSON, **headers)
    assert_error(response, 400, "invalid_body", "body")


def test_a_nul_in_a_usage_event_s_metric_or_customer_rejects_that_event(client, sender):
    account, headers = sender
    body = (b'{"events": [{"metric": "ca\\u0000lls", "idempotency_key": "a"},'
            b' {"metric": "calls", "idempotency_key": "b", "external_customer_id": "x\\u0000"},'
            b' {"metric": "calls", "idempotency_key": "c"}]}')
    response = client.post("/api/v1/usage/events", body, content_type=JSON, **headers)
    assert response.status_code == 202, response.content[:300]
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [(0, "metric"),
                                                                               (1, "external_customer_id")]
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 1


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/quotas/check", b'{"metric": "calls", "external_customer_id": "x\\u0000"}', "external_customer_id"),
    ("/api/v1/quotas/consume", b'{"metric": "calls", "external_customer_id": "\\u0000"}', "external_customer_id"),
])
def test_a_nul_in_a_quota_request_is_a_400_naming_the_field(client, sender, path, body, field):
    _, headers = sender
    assert_error(client.post(path, body, content_type=JSON, **headers), 400, "validation_error", field)
