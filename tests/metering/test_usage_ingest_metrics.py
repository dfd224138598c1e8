"""Usage ingestion moves billing_usage_events_ingested_total{result} on /metrics, through Django and the
fast lane alike, counted once per batch; each account's accepted events are tallied by hour, and an
account whose last hour is far above its usual hours shows in billing_usage_account_spike_ratio."""

import time

import pytest

from billing.metric_store import client, flush
from billing.tasks import metrics_refresh
from metering import metrics
from metering.ingest.fastlane import IngestFastLane
from tests.helpers import metric_value, metrics_scraped
from tests.metering.lanes import CountingDjango, wsgi_call

pytestmark = pytest.mark.django_db
PATH = "/api/v1/usage/events"


@pytest.fixture
def lane(keep_test_transaction):
    return IngestFastLane(CountingDjango())


def batch(prefix: str, count: int) -> dict:
    return {"events": [{"metric": "calls", "idempotency_key": f"{prefix}-{i}"} for i in range(count)]}


def test_batches_through_django_and_the_fast_lane_move_the_counter_by_result(
        lane, make_metric, make_account, api_key_for, django_capture_on_commit_callbacks):
    make_metric("calls")
    account = make_account()
    key = api_key_for(account, ["usage:write"])
    before = metrics_scraped()

    again = batch("a", 5)  # three already stored, two new
    again["events"].append({"metric": "nope", "idempotency_key": "x"})
    with django_capture_on_commit_callbacks(execute=True):  # counted after the commit
        assert wsgi_call(lane, key, batch("a", 3), PATH)[0] == 202  # the first goes through Django
        assert wsgi_call(lane, key, again, PATH)[0] == 202  # the lane
    assert lane.app.calls == 1
    after = metrics_scraped()

    def moved(result):
        name = "billing_usage_events_ingested_total"
        return metric_value(after, name, result=result) - metric_value(before, name, result=result)

    assert (moved("accepted"), moved("duplicate"), moved("rejected")) == (5, 3, 1)
    flush()
    hour = metrics._hour_key(int(time.time()) // metrics.HOUR)
    assert float(client().hget(hour, str(account.pk))) == 5


def test_an_account_far_above_its_usual_hours_shows_as_a_spike(db):
    last_hour = int(time.time()) // metrics.HOUR - 1
    redis = client()
    redis.hset(metrics._hour_key(last_hour), mapping={"1": 2_400, "2": 2_400, "3": 50})
    for back in range(1, 25):  # the day before: account 1 sends 100 an hour, account 2 as much as now
        redis.hset(metrics._hour_key(last_hour - back), mapping={"1": 100, "2": 2_400})

    metrics_refresh.apply()
    scraped = metrics_scraped()

    assert metric_value(scraped, "billing_usage_account_spike_ratio", account="1") == 24
    assert metric_value(scraped, "billing_usage_account_events_last_hour", account="1") == 2_400
    assert metric_value(scraped, "billing_usage_account_spike_ratio", account="2") == 1
    # Too few events to page anyone about, whatever the ratio.
    assert ("billing_usage_account_spike_ratio", (("account", "3"),)) not in scraped


def test_spikes_rank_by_ratio_and_keep_the_top_accounts():
    last = {str(n): 100 + n for n in range(20)}
    ranked = metrics.spikes(last, baseline={})
    assert len(ranked) == metrics.SPIKE_TOP
    assert [account for account, _, _ in ranked][:2] == ["19", "18"]
    assert ranked[0] == ("19", 119, 119.0)  # no usage before: each hour counts as one event


def test_a_batch_with_nothing_valid_is_counted_once_though_the_lane_hands_it_to_django(
        lane, make_metric, make_account, api_key_for, django_capture_on_commit_callbacks):
    make_metric("calls")
    key = api_key_for(make_account(), ["usage:write"])
    with django_capture_on_commit_callbacks(execute=True):
        wsgi_call(lane, key, batch("warm", 1), PATH)  # the first batch of a key goes to Django
    before = metric_value(metrics_scraped(), "billing_usage_events_ingested_total", result="rejected")
    refused = {"events": [{"metric": "nope", "idempotency_key": f"x-{i}"} for i in range(4)]}
    with django_capture_on_commit_callbacks(execute=True):
        assert wsgi_call(lane, key, refused, PATH)[0] == 422
    assert lane.app.calls == 2  # the lane tried it, then Django answered
    after = metric_value(metrics_scraped(), "billing_usage_events_ingested_total", result="rejected")
    assert after - before == 4
