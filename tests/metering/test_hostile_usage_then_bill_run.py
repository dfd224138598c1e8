"""Hostile usage from several customers at once, then the bill run: every subscription is invoiced and renewed.

Each account's key sends what an attacker or a broken client would: negative values, the
largest values the definition admits by the thousand, many groups of them, values the
metric does not aggregate, number strings PostgreSQL cannot read, unknown metrics. An
operator correction takes one account's usage below zero. Nothing answers 5xx, and the
bill run at the period's end invoices and renews every subscription with no failure.
"""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.models import Subscription
from invoicing.models import BillRunFailure, Invoice
from invoicing.services.bill_runs import bill_run_start
from tests.metering.usage_reads import read_everything, server_errors

pytestmark = [pytest.mark.django_db]
LARGEST = "99999999999999.999999999999"
CHARGE = {"currency": "USD", "model": "standard", "unit_price": "0.50"}
HOSTILE_BATCHES = {
    "negative": [{"metric": "tokens", "value": -900}, {"metric": "tokens", "value": "-1e13"},
                 {"metric": "llm", "properties": {"tokens": "-5", "model": "a"}}],
    "largest": [{"metric": "tokens", "value": LARGEST} for _ in range(1000)],
    "the issue's pair": [{"metric": "tokens", "value": "99999999999999999999"}, {"metric": "tokens", "value": 0.5}],
    "many groups": [{"metric": "llm", "properties": {"tokens": LARGEST, "model": f"m{i % 50}"}} for i in range(500)],
    "unreadable": [{"metric": "tokens", "value": "NaN"}, {"metric": "tokens", "value": "1e999"},
                   {"metric": "llm", "properties": {"tokens": "1_000", "model": "a"}},
                   {"metric": "llm", "properties": {"tokens": "١٠٠", "model": "a"}},
                   {"metric": "calls", "value": 5}, {"metric": "nope"}, {"metric": "tokens", "value": True}],
}


@pytest.fixture
def customers(api_client, api_key_for, make_metric, subscribe):
    """One account per hostile batch, plus an honest one and one an operator corrects below zero."""
    make_metric("tokens", aggregation="sum")
    make_metric("llm", aggregation="sum", field_name="tokens", group_by=["model"])
    make_metric("calls")
    names = ["honest", "corrected", *HOSTILE_BATCHES]
    return {name: subscribe(limits=[{"metric": "tokens", "included": 1000, "cap_mode": "hard"}],
                            charges=[{**CHARGE, "metric": "tokens"}, {**CHARGE, "metric": "llm"},
                                     {**CHARGE, "metric": "calls"}])
            for name in names}


def send(client, key, account_id, events, prefix):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {"events": [{"idempotency_key": f"{prefix}-{i}", **event, **({"account_id": account_id} if account_id
                                                                       else {})}
                       for i, event in enumerate(events)]}
    return client.post("/api/v1/usage/events", body, format="json")


def test_hostile_usage_from_every_side_still_invoices_and_renews_every_subscription(customers, api_client,
                                                                                   api_key_for):
    api_client.raise_request_exception = False
    account_keys = {name: api_key_for(account, ["usage:write", "usage:read", "billing:read"])
                    for name, account in customers.items()}
    operator_key = api_key_for(None, ["usage:write"])
    statuses = []
    with tenancy.operator_scope():
        period_start = Subscription.objects.get(account=customers["honest"]).current_period_start
    with clock.frozen(period_start + timedelta(hours=1)):
        for name, events in HOSTILE_BATCHES.items():
            statuses.append(send(api_client, account_keys[name], None, events, name).status_code)
        statuses.append(send(api_client, account_keys["honest"], None, [{"metric": "tokens", "value": 120},
                                                                        {"metric": "calls"}], "honest").status_code)
        statuses.append(send(api_client, account_keys["corrected"], None, [{"metric": "tokens", "value": 40}],
                             "corrected").status_code)
        # An operator correction larger than the usage: the period's billable total floors at zero.
        statuses.append(send(api_client, operator_key, customers["corrected"].pk,
                             [{"metric": "tokens", "value": -1000}], "correction").status_code)
        assert all(status < 500 for status in statuses), statuses
        for name, account in customers.items():
            api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {account_keys[name]}")
            answers = read_everything(api_client, account, ["tokens", "llm", "calls"])
            assert server_errors(answers) == {}, name
            current = {m["metric"]: m for m in answers["/api/v1/usage/current"][1]["metrics"]}
            assert current["tokens"]["usage"][0] != "-", name  # never below zero, whatever was sent

    with tenancy.operator_scope():
        subscriptions = {name: Subscription.objects.get(account=account) for name, account in customers.items()}
        with clock.frozen(period_start + timedelta(days=40)):
            run = bill_run_start()
        assert (run.status, run.errors) == ("done", 0)
        assert not BillRunFailure.objects.exists()
        invoices = {name: Invoice.objects.get(subscription=sub, billing_reason="subscription_cycle")
                    for name, sub in subscriptions.items()}
        for name, sub in subscriptions.items():
            sub.refresh_from_db()
            assert sub.current_period_start > period_start, f"{name} was not renewed"
            assert invoices[name].total >= 0, name
        tokens_amount = {name: sum(line.amount for line in invoice.lines.all() if line.metric_code == "tokens")
                         for name, invoice in invoices.items()}
    assert tokens_amount["honest"] == 6000  # 120 tokens at $0.50
    assert tokens_amount["corrected"] == 0  # 40 - 1000 floors at zero, not a credit
    assert tokens_amount["negative"] == 0  # every negative refused: nothing was recorded
    assert tokens_amount["largest"] == 10**16  # billed at the cap, not an overflow
