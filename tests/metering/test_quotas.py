"""Quota checks and consumption: soft and hard caps, grace, 429 with Retry-After, concurrency, Redis down."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from billing import tenancy
from metering.ingest.decode import EventIn
from metering.services import quota_check, quota_consume, usage_events_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]


def send(account, metric, n, prefix="e"):
    with tenancy.operator_scope():
        usage_events_record(events=[EventIn(metric=metric, idempotency_key=f"{prefix}{i}", account_id=account.pk)
                                    for i in range(n)])


@pytest.fixture
def calls(make_metric):
    return make_metric("api_calls")


def test_a_soft_cap_allows_and_reports_the_overage(calls, subscribe):
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "soft"}])
    send(account, "api_calls", 12)
    decision = quota_check(account_id=account.pk, metric_code="api_calls", quantity=3)
    assert decision.allowed
    assert (decision.usage, decision.limit, decision.remaining, decision.overage) == (12, 10, 0, 5)
    assert decision.cap_mode == "soft"


def test_a_hard_cap_refuses_past_the_limit_and_grace_extends_it(calls, subscribe):
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "hard", "grace_percent": 20}])
    send(account, "api_calls", 10)
    assert quota_check(account_id=account.pk, metric_code="api_calls", quantity=2).allowed  # 12 <= 12
    refused = quota_check(account_id=account.pk, metric_code="api_calls", quantity=3)
    assert not refused.allowed
    assert refused.hard_limit == 12


def test_the_counter_follows_ingestion_after_it_was_built(calls, subscribe, django_capture_on_commit_callbacks):
    account = subscribe(limits=[{"metric": "api_calls", "included": 100, "cap_mode": "hard"}])
    send(account, "api_calls", 5, prefix="a")
    assert quota_check(account_id=account.pk, metric_code="api_calls").usage == 5
    with django_capture_on_commit_callbacks(execute=True):
        send(account, "api_calls", 7, prefix="b")
    decision = quota_check(account_id=account.pk, metric_code="api_calls")
    assert decision.usage == 12
    assert decision.source == "redis"


def test_a_metric_without_a_limit_is_allowed(calls, make_account):
    account = make_account()
    decision = quota_check(account_id=account.pk, metric_code="api_calls", quantity=1000)
    assert decision.allowed and decision.limit is None


def test_consume_records_usage_and_refuses_past_a_hard_cap(calls, subscribe):
    account = subscribe(limits=[{"metric": "api_calls", "included": 3, "cap_mode": "hard"}])
    results = [quota_consume(account_id=account.pk, metric_code="api_calls", idempotency_key=f"c{i}")
               for i in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    with tenancy.operator_scope():
        from metering.selectors import stored_event_count

        assert stored_event_count(account_id=account.pk) == 3


def test_consuming_again_with_the_same_key_counts_once(calls, subscribe):
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "hard"}])
    first = quota_consume(account_id=account.pk, metric_code="api_calls", idempotency_key="same")
    again = quota_consume(account_id=account.pk, metric_code="api_calls", idempotency_key="same")
    assert not first.duplicate and again.duplicate
    assert quota_check(account_id=account.pk, metric_code="api_calls").usage == 1


def test_a_sum_metric_consumes_its_quantity(make_metric, subscribe):
    make_metric("tokens", aggregation="sum", field_name="tokens")
    account = subscribe(limits=[{"metric": "tokens", "included": 1000, "cap_mode": "hard"}])
    assert quota_consume(account_id=account.pk, metric_code="tokens", quantity=600).allowed
    assert not quota_consume(account_id=account.pk, metric_code="tokens", quantity=500).allowed
    assert quota_consume(account_id=account.pk, metric_code="tokens", quantity=400).usage == Decimal(1000)


def test_redis_down_falls_back_to_postgres_and_says_so(calls, subscribe, redis_down, caplog):
    account = subscribe(limits=[{"metric": "api_calls", "included": 2, "cap_mode": "hard"}])
    send(account, "api_calls", 1)
    decision = quota_check(account_id=account.pk, metric_code="api_calls")
    assert decision.source == "postgres" and decision.usage == 1 and decision.allowed
    assert quota_consume(account_id=account.pk, metric_code="api_calls").allowed
    refused = quota_consume(account_id=account.pk, metric_code="api_calls")
    assert not refused.allowed and refused.source == "postgres"
    assert "Redis unavailable" in caplog.text


def _consume_concurrently(account, metric_code, threads):
    outcomes = []
    barrier = threading.Barrier(threads)

    def consume(i):
        try:
            barrier.wait()
            with tenancy.operator_scope():
                outcomes.append(quota_consume(account_id=account.pk, metric_code=metric_code,
                                              idempotency_key=f"t{i}").allowed)
        finally:
            connection.close()

    workers = [threading.Thread(target=consume, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_consumers_never_pass_a_hard_cap_together(calls, subscribe):
    account = subscribe(limits=[{"metric": "api_calls", "included": 5, "cap_mode": "hard"}])
    outcomes = _consume_concurrently(account, "api_calls", 12)
    assert outcomes.count(True) == 5
    assert quota_check(account_id=account.pk, metric_code="api_calls").usage == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_consumers_never_pass_a_hard_cap_with_redis_down(calls, subscribe, redis_down):
    account = subscribe(limits=[{"metric": "api_calls", "included": 4, "cap_mode": "hard"}])
    outcomes = _consume_concurrently(account, "api_calls", 10)
    assert outcomes.count(True) == 4


def test_live_counters_skip_events_the_metric_filters_out(make_metric, subscribe, django_capture_on_commit_callbacks):
    make_metric("eu_calls", filters={"region": ["eu"]})
    account = subscribe(limits=[{"metric": "eu_calls", "included": 100, "cap_mode": "hard"}])
    assert quota_check(account_id=account.pk, metric_code="eu_calls").usage == 0  # builds the counter
    with django_capture_on_commit_callbacks(execute=True):
        usage_events_record(events=[
            EventIn(metric="eu_calls", idempotency_key=f"k{i}", account_id=account.pk,
                    properties={"region": region}) for i, region in enumerate(["eu", "us", "eu", "uk"])])
    decision = quota_check(account_id=account.pk, metric_code="eu_calls")
    assert (decision.usage, decision.source) == (2, "redis")


def test_counters_are_rebuilt_from_postgres_when_redis_lost_them(calls, subscribe):
    from metering.quotas import counters

    account = subscribe(limits=[{"metric": "api_calls", "included": 100, "cap_mode": "hard"}])
    send(account, "api_calls", 4)
    assert quota_check(account_id=account.pk, metric_code="api_calls").usage == 4
    client = counters.client()
    lost = list(client.scan_iter(match=f"{counters._prefix()}:*"))
    assert lost
    client.delete(*lost)  # as after a Redis restart without persistence
    decision = quota_check(account_id=account.pk, metric_code="api_calls")
    assert (decision.usage, decision.source) == (4, "redis")
    assert quota_consume(account_id=account.pk, metric_code="api_calls").usage == 5
