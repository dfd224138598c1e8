"""The OpenAPI document says what every operation does and answers: its own description, an example
of its body and of its answer that its schemas accept, and every error status it can answer, in the
one `Error` shape (with `Retry-After` where the client should wait). tests/test_schemathesis.py checks
the API against this document; these tests check the document itself."""

import json

import jsonschema_rs
import pytest
from drf_spectacular.generators import SchemaGenerator

from billing.api.views import ApiView
from metering.api.common import MeteringApiView

pytestmark = pytest.mark.django_db
BASE_DOCSTRINGS = {" ".join((cls.__doc__ or "").split()) for cls in (ApiView, MeteringApiView)}
PUBLIC = {("GET", "/api/v1/meta/features"), ("GET", "/api/v1/meta/info")}
ERROR = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def to_json_schema(node):
    """OpenAPI 3.1's Schema Object is JSON Schema 2020-12: only the annotations that are not
    validation keywords are dropped."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: ({name: to_json_schema(sub) for name, sub in value.items()} if key == "properties"
                  else to_json_schema(value))
            for key, value in node.items() if key not in ("example", "examples", "readOnly", "writeOnly",
                                                          "discriminator")}


def validator(schema, media):
    document = {**to_json_schema(media["schema"]), "components": to_json_schema(schema["components"])}
    return jsonschema_rs.validator_for(document)


def test_every_operation_has_its_own_description_and_a_summary(schema):
    problems = []
    for method, path, operation in operations(schema):
        description = " ".join(operation.get("description", "").split())
        if not description or description in BASE_DOCSTRINGS:
            problems.append(f"{method} {path}: {description[:40]!r}")
        if not operation.get("summary"):
            problems.append(f"{method} {path}: no summary")
    assert problems == []


def test_every_body_and_answer_has_an_example_its_schema_accepts(schema):
    problems, checked = [], 0
    for method, path, operation in operations(schema):
        media_objects = [("request", operation.get("requestBody", {}).get("content", {}).get("application/json"))]
        media_objects += [(status, response.get("content", {}).get("application/json"))
                          for status, response in operation["responses"].items() if status.startswith("2")]
        for where, media in media_objects:
            if media is None:
                continue
            examples = [media["example"]] if "example" in media else \
                [example["value"] for example in media.get("examples", {}).values()]
            if not examples:
                problems.append(f"{method} {path} {where}: no example")
            for example in examples:
                checked += 1
                errors = [error.message for error in validator(schema, media).iter_errors(example)]
                if errors:
                    problems.append(f"{method} {path} {where}: {json.dumps(example)[:80]}: {errors[:2]}")
    assert checked > 100
    assert problems == []


def test_every_operation_lists_the_errors_it_can_answer_in_the_error_shape(schema):
    problems = []
    for method, path, operation in operations(schema):
        expected = {"400"}
        if (method, path) not in PUBLIC:
            expected |= {"401", "403", "429", "503"}
        if "{" in path:
            expected.add("404")
        if method in ("POST", "PUT", "PATCH"):
            expected |= {"409", "413", "415"}
        responses = operation["responses"]
        missing = expected - responses.keys()
        if missing:
            problems.append(f"{method} {path}: no {sorted(missing)}")
        for status in expected & responses.keys():
            content = responses[status].get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref") != ERROR and status not in ("422", "429"):
                problems.append(f"{method} {path} {status}: not the Error shape")
            if not responses[status].get("description"):
                problems.append(f"{method} {path} {status}: no description")
        for status in ("429", "503"):
            if status in responses and "Retry-After" not in responses[status].get("headers", {}):
                problems.append(f"{method} {path} {status}: no Retry-After")
    assert problems == []
    paths = schema["paths"]
    assert "422" in paths["/api/v1/subscriptions"]["post"]["responses"]  # amount_too_large
    assert "422" not in paths["/api/v1/subscriptions"]["get"]["responses"]
    assert "502" in paths["/api/v1/refunds"]["post"]["responses"]  # the payment gateway refused
    assert "502" not in paths["/api/v1/refunds"]["get"]["responses"]
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = schema["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert sorted(detail["required"]) == ["code", "fields", "message", "request_id"]


def test_authenticated_posts_take_an_idempotency_key(schema):
    problems = []
    for method, path, operation in operations(schema):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if method == "POST" and "Idempotency-Key" not in headers:
            problems.append(f"{method} {path}")
    assert problems == []


def test_what_the_api_reads_loosely_the_schema_says_so(schema):
    """An optional query parameter sent empty counts as not sent; a decimal may be a whole JSON integer;
    a DELETE answers 200 with what is left (drf-spectacular would say a bodiless 204)."""
    invoices = schema["paths"]["/api/v1/invoices"]["get"]["parameters"]
    assert {p["name"]: p.get("allowEmptyValue", False) for p in invoices if p["name"] in ("status", "limit")} == {
        "status": True, "limit": False}
    line = schema["components"]["schemas"]["LineAddInputRequest"]["properties"]["unit_price"]
    assert [branch.get("type") for branch in line["oneOf"]] == ["string", "integer"]
    assert set(schema["paths"]["/api/v1/plans/{code}"]["delete"]["responses"]) >= {"200"}
    assert "204" not in schema["paths"]["/api/v1/plans/{code}"]["delete"]["responses"]


def test_the_usage_and_quota_bodies_are_described_as_msgspec_reads_them(schema, api_client, api_key_for,
                                                                        make_account):
    """Those bodies are decoded by msgspec, not by their serializers: one event or a batch, decimals as JSON
    numbers too, null for "not given"; an empty customer id is refused as the schema says."""
    components = schema["components"]["schemas"]
    body = schema["paths"]["/api/v1/usage/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    batch, single = components[body["$ref"].rsplit("/", 1)[1]]["oneOf"]
    assert list(batch["properties"]) == ["events"] and single["$ref"].endswith("/UsageEventInputRequest")
    event = components["UsageEventInputRequest"]["properties"]
    assert [branch["type"] for branch in event["timestamp"]["oneOf"]] == ["string", "number", "null"]
    assert [branch["type"] for branch in event["value"]["oneOf"]] == ["string", "number", "null"]
    assert "null" in event["account_id"]["type"]
    check = components["QuotaInputRequest"]["properties"]
    assert check["external_customer_id"]["minLength"] == 1 and "null" in check["external_customer_id"]["type"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(make_account(), ['usage:read', 'usage:write'])}")
    for path, field in (("/api/v1/quotas/check", "external_customer_id"), ("/api/v1/quotas/consume", "idempotency_key")):
        refused = api_client.post(path, {"metric": "calls", field: ""}, format="json")
        assert refused.status_code == 400 and field in refused.json()["error"]["fields"]
