"""The event catalog (webhooks/catalog.py) names every `billing.*` event the code records, and only those as
sent; each example matches its schema; docs/events.md and the OpenAPI document show the same catalog."""

import ast
import json
import re
from pathlib import Path

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from webhooks import catalog
from webhooks.catalog_markdown import catalog_markdown, page_section
from webhooks.openapi import KEY

ROOT = Path(__file__).resolve().parents[2]
APPS = ("billing", "metering", "invoicing", "payments")  # webhooks records none: its catalog names them all
EVENT_TYPE = re.compile(r"billing\.[a-z_]+\.[a-z_]+")


def source_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def recorded_types() -> set[str]:
    """Every event type the code can record, read from its source: the `billing.<object>.<what>` strings it
    holds (literals and constants handed to event_record, event_record_many, transition), and the types it
    builds as f"billing.subscription.{event}" from the `event="..."` arguments of the calls that build them."""
    found, prefixes, short_events = set(), set(), set()
    for path in source_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and EVENT_TYPE.fullmatch(node.value):
                found.add(node.value)
            elif not isinstance(node, ast.keyword) or node.arg not in ("type", "event"):
                continue
            elif isinstance(node.value, ast.JoinedStr) and isinstance(node.value.values[0], ast.Constant):
                head = str(node.value.values[0].value)
                if re.fullmatch(r"billing\.[a-z_]+\.", head):
                    prefixes.add(head)
            elif node.arg == "event" and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) \
                    and "." not in node.value.value:
                short_events.add(node.value.value)
    return found | {prefix + name for prefix in prefixes for name in short_events}


def test_the_scan_sees_the_events_however_they_are_recorded():
    seen = recorded_types()
    assert {"billing.invoice.paid", "billing.usage.threshold_reached",  # constants
            "billing.account.created",  # a literal
            "billing.subscription.trial_will_end", "billing.subscription.paused"} <= seen  # built from event="..."
    assert len(seen) >= 30


def test_every_event_the_code_records_is_in_the_catalog_as_sent():
    sent = {event.type for event in catalog.EMITTED}
    assert recorded_types() - sent == set(), "add these to webhooks/catalog.py"
    assert sent - recorded_types() == set(), "the catalog says these are sent, but no code records them"


def test_the_issues_events_are_all_in_the_catalog():
    wanted = {"billing.subscription.created", "billing.subscription.updated", "billing.subscription.canceled",
              "billing.subscription.trial_will_end", "billing.invoice.created", "billing.invoice.finalized",
              "billing.invoice.paid", "billing.invoice.overdue", "billing.invoice.voided",
              "billing.payment.succeeded", "billing.payment.failed", "billing.payment.refunded",
              "billing.credit_note.issued", "billing.usage.threshold_reached", "billing.credit.applied",
              "billing.account.overdue_state_changed", "billing.reconciliation.alert",
              "billing.bill_run.subscription_failed"}
    assert wanted <= set(catalog.BY_TYPE)
    assert len(catalog.BY_TYPE) == len(catalog.EVENTS)


@pytest.mark.parametrize("event", catalog.EVENTS, ids=lambda event: event.type)
def test_each_example_matches_its_schema(event):
    jsonschema.Draft202012Validator.check_schema(catalog.envelope_schema(event))
    jsonschema.validate(catalog.envelope_example(event), catalog.envelope_schema(event),
                        cls=jsonschema.Draft202012Validator)
    assert event.object_key in event.data["properties"]


def test_a_schema_refuses_what_breaks_it():
    invoice = catalog.BY_TYPE["billing.invoice.paid"]
    example = catalog.envelope_example(invoice)
    for broken in ({**example, "type": "billing.invoice.voided"}, {**example, "data": {"invoice_id": 42}},
                   {**example, "data": {**example["data"], "total": "118.80"}}, {**example, "extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, catalog.envelope_schema(invoice), cls=jsonschema.Draft202012Validator)


def test_docs_events_md_shows_the_catalog():
    assert page_section(ROOT / "docs" / "events.md") == catalog_markdown(), (
        "run `manage.py events_catalog --write`")


def test_the_openapi_document_lists_every_event_as_a_webhook():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    webhooks = schema[KEY]
    assert set(webhooks) == set(catalog.BY_TYPE)
    paid = webhooks["billing.invoice.paid"]["post"]
    body = paid["requestBody"]["content"]["application/json"]
    assert body["example"]["type"] == "billing.invoice.paid"
    assert schema["openapi"].startswith("3.1")
    assert body["schema"]["properties"]["data"]["properties"]["subscription_id"] == {
        "type": ["integer", "null"], "minimum": 1}
    assert {p["name"] for p in paid["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert not any("Not sent yet" in operation["post"]["description"] for operation in webhooks.values())
    json.dumps(webhooks)  # plain JSON, as the document is served
