"""The request examples in docs/*.md are accepted by the API and mean what the docs say.

The convention (docs/api.md, "Money and strict input"): an HTML comment names the
request, and the fenced `json` block right after it is its body:

    <!-- example: POST /api/v1/plans -->            sent as is
    <!-- example growth-plan: POST /api/v1/plans --> also checked by MEANINGS["growth-plan"]

Each document's examples are sent in order, with an operator key, to a world holding
the metrics, plans and account they name. Ids in examples are illustrations: an
`account_id` in a body becomes the world's account, and `{id}` in a path the world's
object of that collection (the account, its draft invoice, or the subscription an
earlier example created).
"""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from billing import tenancy

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLE = re.compile(r"<!-- example(?: (?P<name>[\w-]+))?: (?P<method>[A-Z]+) (?P<path>\S+) -->\n"
                     r"```json\n(?P<body>.*?)\n```", re.DOTALL)
MARKER = re.compile(r"^<!-- example\b", re.MULTILINE)
METRICS = {"api_calls": "count", "impressions": "sum", "sms": "sum", "llm_tokens": "sum"}


def examples(document: Path) -> list[dict]:
    text = document.read_text(encoding="utf-8")
    found = []
    for match in EXAMPLE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append({**match.groupdict(), "where": f"{document.name}:{line}", "body": json.loads(match["body"])})
    return found


def documents_with_examples() -> list[Path]:
    return [doc for doc in sorted(DOCS.glob("*.md")) if examples(doc)]


@pytest.fixture
def world(make_account, api_client, api_key_for):
    from billing.models import BillableMetric
    from billing.services import plan_create
    from tests.invoicing.factories import draft

    acme = make_account("Acme", external_id="acme")
    with tenancy.operator_scope():
        for code, aggregation in METRICS.items():
            BillableMetric.objects.create(code=code, name=code, aggregation=aggregation)
        for code, flat in (("standard", 9_900), ("enterprise", 49_900)):
            plan_create(code=code, name=code.title(), prices={"USD": {"flat_amount": flat, "seat_amount": 500}},
                        included_seats=25)
        invoice = draft(acme, billing_reason="manual", collection_method="send_invoice")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer " + api_key_for(
        None, scopes=["billing:read", "billing:write", "usage:read", "usage:write"]))
    return {"client": api_client, "accounts": acme.pk, "invoices": invoice.pk, "subscriptions": None}


def send(world, example) -> dict:
    collection = example["path"].removeprefix("/api/v1/").split("/", 1)[0]
    path = example["path"].replace("{id}", str(world.get(collection)))
    body = dict(example["body"])
    if "account_id" in body:
        body["account_id"] = world["accounts"]
    response = getattr(world["client"], example["method"].lower())(path, body, format="json")
    assert 200 <= response.status_code < 300, f"{example['where']}: {response.status_code} {response.content!r}"
    answer = response.json()
    if collection == "subscriptions" and example["path"] == "/api/v1/subscriptions":
        world["subscriptions"] = answer["id"]
    return answer


def usage_lines_after(world, plan: str, usage: dict[str, int]) -> dict[str, int]:
    """Subscribe the world's account to `plan`, send `usage`, and read the upcoming invoice's usage lines."""
    client = world["client"]
    subscription = client.post("/api/v1/subscriptions", {"account_id": world["accounts"], "plan": plan,
                                                         "currency": "USD", "trial_days": 0}, format="json").json()
    events = [{"metric": metric, "idempotency_key": f"docs-{metric}", "value": str(quantity),
               "account_id": world["accounts"]} for metric, quantity in usage.items()]
    assert client.post("/api/v1/usage/events", {"events": events}, format="json").json()["accepted"] == len(events)
    upcoming = client.get(f"/api/v1/invoices/upcoming?subscription_id={subscription['id']}").json()
    return {line["metric_code"]: line["amount"] for line in upcoming["lines"] if line["metric_code"]}


def growth_plan_bills_blocks_pro_rata_and_started_packages_whole(world, answer):
    assert usage_lines_after(world, "growth", {"impressions": 1_500, "sms": 250}) == {
        "impressions": 75, "sms": 1_500, "api_calls": 0}


def one_off_line_is_rounded_once_to_minor_units(world, answer):
    assert [line["amount"] for line in answer["lines"] if line["description"].startswith("Onboarding")] == [187_500]


def credit_grant_is_400_dollars(world, answer):
    balance = world["client"].get(f"/api/v1/accounts/{world['accounts']}/credits").json()["balance"]
    assert balance == {"USD": 40_000} and Decimal(balance["USD"]) / 100 == Decimal("400.00")


MEANINGS = {
    "growth-plan": growth_plan_bills_blocks_pro_rata_and_started_packages_whole,
    "one-off-line": one_off_line_is_rounded_once_to_minor_units,
    "credit-grant": credit_grant_is_400_dollars,
}


def test_every_example_marker_is_followed_by_a_json_body_and_every_meaning_has_its_example():
    markers = sum(len(MARKER.findall(doc.read_text(encoding="utf-8"))) for doc in DOCS.glob("*.md"))
    found = [example for doc in DOCS.glob("*.md") for example in examples(doc)]
    assert markers == len(found) > 10
    assert set(MEANINGS) <= {example["name"] for example in found}


@pytest.mark.parametrize("document", documents_with_examples(), ids=lambda doc: doc.name)
def test_the_examples_of_a_document_are_accepted_and_mean_what_it_says(world, document):
    for example in examples(document):
        answer = send(world, example)
        if example["name"]:
            MEANINGS[example["name"]](world, answer)
