"""Corrections: negative values on sum metrics, from operator keys only, recorded with the key that sent
them; a period's billable quantity never goes below zero."""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.models import ApiKey, AuditEntry, Subscription
from metering.ingest.fastlane import IngestFastLane
from metering.selectors import billable_usage
from tests.metering.lanes import CountingDjango, wsgi_call

pytestmark = [pytest.mark.django_db]
CHARGE = {"metric": "tokens", "currency": "USD", "model": "standard", "unit_price": "0.50"}


@pytest.fixture
def account(make_metric, subscribe):
    make_metric("tokens", aggregation="sum")
    make_metric("peak", aggregation="max")
    return subscribe(limits=[{"metric": "tokens", "included": 1000, "cap_mode": "hard"}], charges=[CHARGE])


@pytest.fixture
def operator_client(api_client, api_key_for):
    key = api_key_for(None, ["usage:write", "usage:read", "billing:read"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    api_client.raise_request_exception = False
    return api_client


def send(client, account, *values, metric="tokens", prefix="k"):
    return client.post("/api/v1/usage/events", {"events": [
        {"metric": metric, "idempotency_key": f"{prefix}{i}", "value": value, "account_id": account.pk}
        for i, value in enumerate(values)]}, format="json")


def corrections_of(account):
    from metering.models import UsageCorrection

    with tenancy.operator_scope():
        return list(UsageCorrection.objects.filter(account=account).order_by("id"))


def test_an_operator_key_corrects_usage_and_the_correction_names_the_key(operator_client, account):
    response = send(operator_client, account, "500", "-120.5")
    assert response.status_code == 202 and response.json()["accepted"] == 2
    (correction,) = corrections_of(account)
    with tenancy.operator_scope():
        key = ApiKey.objects.get(account__isnull=True, scopes__contains=["usage:write"])
        audit = AuditEntry.objects.get(action="usage.corrected")
    assert (correction.idempotency_key, str(correction.quantity)) == ("k1", "-120.500000000000")
    assert (correction.actor_type, correction.actor_id, correction.actor_label) == ("api_key", str(key.pk), str(key))
    assert correction.request_id and audit.object_id == str(correction.pk) and audit.account_id == account.pk
    usage = operator_client.get(f"/api/v1/usage/current?account_id={account.pk}").json()["metrics"]
    assert next(m for m in usage if m["metric"] == "tokens")["usage"] == "379.5"


def test_a_resent_correction_is_recorded_once(operator_client, account):
    send(operator_client, account, "500", "-100")
    again = send(operator_client, account, "500", "-100")
    assert again.json()["duplicates"] == [0, 1]
    assert len(corrections_of(account)) == 1


def test_only_sum_metrics_take_corrections(operator_client, account):
    response = send(operator_client, account, "-3", metric="peak")
    assert response.status_code == 422
    assert [(r["field"], r["reason"]) for r in response.json()["rejected"]] == [("value", "Must not be negative.")]


def test_a_correction_past_the_usage_leaves_the_period_at_zero(operator_client, account):
    send(operator_client, account, "100", "-900")
    answers = {}
    for path in (f"/api/v1/usage/current?account_id={account.pk}", f"/api/v1/usage/history?account_id={account.pk}"):
        response = operator_client.get(path)
        answers[path] = response
        assert response.status_code == 200, response.content
    tokens = next(m for m in answers[f"/api/v1/usage/current?account_id={account.pk}"].json()["metrics"]
                  if m["metric"] == "tokens")
    assert (tokens["usage"], tokens["percent_used"], tokens["overage_cost"]) == ("0", "0.0", 0)
    check = operator_client.post("/api/v1/quotas/check", {"metric": "tokens", "account_id": account.pk},
                                 format="json").json()
    assert (check["usage"], check["remaining"], check["allowed"]) == ("0", "1000", True)
    with tenancy.operator_scope():
        subscription = Subscription.objects.get(account=account)
        assert billable_usage(account_id=account.pk, metric_codes=["tokens"], period_start=subscription.current_period_start,
                              period_end=subscription.current_period_end) == {("tokens", ""): 0}
    upcoming = operator_client.get(f"/api/v1/invoices/upcoming?subscription_id={subscription.pk}")
    assert upcoming.status_code == 200, upcoming.content
    assert [line["amount"] for line in upcoming.json()["lines"] if line["metric_code"] == "tokens"] == [0]


def test_the_live_counter_nets_corrections_and_shows_no_more_than_the_limit(operator_client, account,
                                                                           django_capture_on_commit_callbacks):
    """The Redis counter adds a correction as it comes (it can go below zero); checks show the period's
    quantity (never below zero, `remaining` never above the limit) and the hard cap counts the net usage."""
    body = {"metric": "tokens", "account_id": account.pk}
    assert operator_client.post("/api/v1/quotas/check", body, format="json").json()["source"] == "redis"
    with django_capture_on_commit_callbacks(execute=True):  # the counter is added to once the batch commits
        send(operator_client, account, "100", "-900")  # net -800
    check = operator_client.post("/api/v1/quotas/check", body, format="json").json()
    assert (check["usage"], check["remaining"], check["source"]) == ("0", "1000", "redis")
    assert operator_client.post("/api/v1/quotas/consume", {**body, "quantity": "1000"}, format="json").json()["allowed"]
    assert operator_client.post("/api/v1/quotas/check", body, format="json").json()["usage"] == "200"
    refused = operator_client.post("/api/v1/quotas/consume", {**body, "quantity": "801"}, format="json")
    assert refused.status_code == 429


def test_a_correction_sent_through_the_fast_lane_names_the_key_too(keep_test_transaction, api_key_for, account):
    key = api_key_for(None, ["usage:write"])
    lane = IngestFastLane(CountingDjango())
    body = {"events": [{"metric": "tokens", "idempotency_key": "first", "value": "10", "account_id": account.pk}]}
    wsgi_call(lane, key, body, "/api/v1/usage/events")
    body = {"events": [{"metric": "tokens", "idempotency_key": "fix", "value": "-4", "account_id": account.pk,
                        "timestamp": (clock.now() - timedelta(minutes=1)).isoformat()}]}
    status, _, answer = wsgi_call(lane, key, body, "/api/v1/usage/events")
    assert (status, answer["accepted"], lane.app.calls) == (202, 1, 1)  # the lane stored it
    (correction,) = corrections_of(account)
    with tenancy.operator_scope():
        stored_key = ApiKey.objects.get(prefix=key.split("_")[1])
    assert (correction.actor_id, correction.actor_label) == (str(stored_key.pk), str(stored_key))


def test_finance_reads_corrections_in_the_admin(operator_client, account):
    from billing.roles import FINANCE_VIEWER
    from tests.helpers import staff

    send(operator_client, account, "500", "-120.5")
    page = staff("viewer", FINANCE_VIEWER).get("/admin/metering/usagecorrection/")
    assert page.status_code == 200 and b"test key" in page.content and b"-120.5" in page.content
