"""What a usage value may be (metering/values.py), and that any accepted value can be read, checked and billed.

Refused with a 4xx naming the field: negative values from account keys, a value a metric does
not aggregate (count metrics, metrics of a property), values past 14 digits or 12 decimals,
number strings PostgreSQL would not read. Accepted values, however large, never make a read,
a quota check, the upcoming invoice or a bill run fail.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from billing import clock, tenancy
from billing.models import Subscription
from invoicing.models import Invoice
from metering.services import usage_events_record
from tests.metering.usage_reads import read_everything, server_errors

pytestmark = [pytest.mark.django_db]
LARGEST = "99999999999999.999999999999"  # 14 digits and 12 decimals: the largest valid value
TOKENS_CHARGE = {"metric": "tokens", "currency": "USD", "model": "standard", "unit_price": "0.50"}


@pytest.fixture
def tokens_account(api_client, api_key_for, make_metric, subscribe):
    """(client with an account key, account): a sum metric `tokens` (value), `llm` (property `tokens`,
    grouped by model), a count metric `calls`; a plan limiting and charging tokens."""
    make_metric("tokens", aggregation="sum")
    make_metric("llm", aggregation="sum", field_name="tokens", group_by=["model"])
    make_metric("calls")
    account = subscribe(limits=[{"metric": "tokens", "included": 1000, "cap_mode": "hard"}],
                        charges=[TOKENS_CHARGE, {**TOKENS_CHARGE, "metric": "llm"}])
    key = api_key_for(account, ["usage:write", "usage:read", "billing:read"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    api_client.raise_request_exception = False
    return api_client, account


def usage_of(answers, metric) -> dict:
    return next(m for m in answers["/api/v1/usage/current"][1]["metrics"] if m["metric"] == metric)


def send(client, *events):
    return client.post("/api/v1/usage/events", {"events": [
        {"idempotency_key": f"k{index}", **event} for index, event in enumerate(events)]}, format="json")


def rejected(response) -> list[tuple[int, str]]:
    return [(r["index"], r["field"]) for r in response.json()["rejected"]]


def test_an_account_key_cannot_send_negative_usage(tokens_account):
    client, _ = tokens_account
    response = send(client, {"metric": "tokens", "value": 100}, {"metric": "tokens", "value": -900},
                    {"metric": "llm", "properties": {"tokens": "-5", "model": "a"}})
    assert response.status_code == 202 and response.json()["accepted"] == 1
    assert rejected(response) == [(1, "value"), (2, "properties.tokens")]
    assert "operator key" in response.json()["rejected"][0]["reason"]
    check = client.post("/api/v1/quotas/check", {"metric": "tokens"}, format="json").json()
    assert (check["usage"], check["remaining"]) == ("100", "900")


def test_a_value_is_refused_where_the_metric_does_not_aggregate_it(tokens_account):
    client, _ = tokens_account
    response = send(client, {"metric": "calls", "value": 5}, {"metric": "llm", "value": 5,
                                                              "properties": {"tokens": 5, "model": "a"}},
                    {"metric": "calls"})
    assert rejected(response) == [(0, "value"), (1, "value")]
    reasons = [r["reason"] for r in response.json()["rejected"]]
    assert "count metric" in reasons[0] and "properties.tokens" in reasons[1]


@pytest.mark.parametrize(("event", "field"), [
    ({"metric": "tokens", "value": "100000000000000"}, "value"),  # 15 digits
    ({"metric": "tokens", "value": "99999999999999999999"}, "value"),
    ({"metric": "tokens", "value": "0.0000000000001"}, "value"),  # 13 decimals
    ({"metric": "llm", "properties": {"tokens": "1_000", "model": "a"}}, "properties.tokens"),
    ({"metric": "llm", "properties": {"tokens": "\u0661\u0662", "model": "a"}}, "properties.tokens"),  # Arabic-Indic
    ({"metric": "llm", "properties": {"tokens": " 12", "model": "a"}}, "properties.tokens"),
    ({"metric": "llm", "properties": {"tokens": "1e400", "model": "a"}}, "properties.tokens"),
    ({"metric": "llm", "properties": {"tokens": 1e15, "model": "a"}}, "properties.tokens"),
])
def test_values_outside_the_definition_are_refused_and_nothing_fails_after(tokens_account, event, field):
    client, account = tokens_account
    response = send(client, {"metric": "tokens", "value": "0.5"}, event)
    assert response.status_code == 202 and rejected(response) == [(1, field)]
    assert "14 digits before the decimal point and 12 after it" in response.json()["rejected"][0]["reason"]
    assert server_errors(read_everything(client, account, ["tokens", "llm"])) == {}


def test_the_pair_from_the_issue_no_longer_breaks_the_account(tokens_account):
    client, account = tokens_account
    response = send(client, {"metric": "tokens", "value": "99999999999999999999"}, {"metric": "tokens", "value": "0.5"})
    assert rejected(response) == [(0, "value")]
    answers = read_everything(client, account, ["tokens"])
    assert server_errors(answers) == {}
    assert usage_of(answers, "tokens")["usage"] == "0.5"


def test_a_batch_of_the_largest_values_is_shown_exactly_and_billed_at_the_cap(tokens_account):
    client, account = tokens_account
    response = client.post("/api/v1/usage/events", {"events": [
        {"metric": "tokens", "idempotency_key": f"big-{i}", "value": LARGEST} for i in range(1000)]}, format="json")
    assert response.json()["accepted"] == 1000
    answers = read_everything(client, account, ["tokens"])
    assert server_errors(answers) == {}
    tokens = usage_of(answers, "tokens")
    assert tokens["usage"] == "99999999999999999.999999999"  # exact: 1,000 x the largest value
    assert tokens["overage_cost"] == 10**16  # USD 5 * 10^16 in cents, billed at MAX_USAGE_AMOUNT
    upcoming = next(body for path, (_, body) in answers.items() if "upcoming" in path)
    line = next(line for line in upcoming["lines"] if line["metric_code"] == "tokens")
    assert line["amount"] == 10**16 and Decimal(line["inputs"]["capped_from"]) == Decimal("49999999999999999.9999999995")


def test_the_bill_run_invoices_the_largest_usage_of_many_groups(make_metric, subscribe):
    """A period at the largest quantity in many groups still fits the invoice's columns."""
    from invoicing.services.bill_runs import bill_run_start

    make_metric("llm", aggregation="sum", field_name="tokens", group_by=["model"])
    account = subscribe(charges=[{**TOKENS_CHARGE, "metric": "llm"}])
    with tenancy.operator_scope():
        subscription = Subscription.objects.get(account=account)
        with clock.frozen(subscription.current_period_start + timedelta(minutes=1)):
            usage_events_record(events=[
                _event("llm", f"g-{group}-{i}", account, tokens=LARGEST, model=f"m{group}")
                for group in range(20) for i in range(1000)])
        with clock.frozen(subscription.current_period_end + timedelta(minutes=5)):
            run = bill_run_start()
        assert (run.errors, run.invoices_created) == (0, 1)
        invoice = Invoice.objects.get(subscription=subscription, billing_reason="subscription_cycle")
        lines = [line for line in invoice.lines.all() if line.metric_code == "llm"]
    assert len(lines) == 20 and lines[0].quantity == 10**17  # 99999999999999999.999999999, stored to 6 places
    assert sum(line.amount for line in lines) == 10**16 and invoice.subtotal == 10**16


def _event(metric, key, account, **properties):
    from metering.ingest.decode import EventIn

    return EventIn(metric=metric, idempotency_key=key, account_id=account.pk, properties=properties)


def test_the_stored_value_column_is_the_definition_s_type(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                       "WHERE table_name = 'metering_usageevent' AND column_name = 'value'")
        assert cursor.fetchone() == (26, 12)


def test_a_count_metric_consumes_at_most_one_batch_of_units(tokens_account):
    client, _ = tokens_account
    response = client.post("/api/v1/quotas/consume", {"metric": "calls", "quantity": 1001}, format="json")
    assert response.status_code == 400 and "quantity" in response.json()["error"]["fields"]
    response = client.post("/api/v1/quotas/check", {"metric": "tokens", "quantity": "1e20"}, format="json")
    assert response.status_code == 400 and "quantity" in response.json()["error"]["fields"]
