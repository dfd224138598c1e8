"""/metrics serves the business metrics from the Redis-backed store: Celery tasks move their counters and
histogram through the celery signals, periodic jobs record their last success, and the gauges that need
queries (subscriptions, outbox lag; MRR: tests/analytics/test_mrr_gauge.py) change only when the beat job refreshes them, never on a scrape.
Redis down leaves /metrics serving the rest."""

import time
from datetime import timedelta

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from billing import metric_store, tenancy
from billing.metrics import TASKS
from billing.models import OutboxEvent
from billing.outbox import event_record
from billing.services import subscription_create
from billing.tasks import heartbeat, metrics_refresh
from config.celery import app
from tests.billing.catalog_factories import plan
from tests.helpers import metric_value, metrics_scraped

pytestmark = pytest.mark.django_db


def test_a_task_run_moves_its_count_and_duration_and_a_periodic_one_its_last_success():
    before = metrics_scraped()
    heartbeat.apply()
    after = metrics_scraped()

    def moved(name, **labels):
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)

    assert moved("billing_celery_tasks_total", task="billing.heartbeat", state="SUCCESS") == 1
    assert moved("billing_celery_task_duration_seconds_count", task="billing.heartbeat") == 1
    assert moved("billing_celery_task_duration_seconds_bucket", task="billing.heartbeat", le="+Inf") == 1
    last = metric_value(after, "billing_beat_job_last_success_timestamp_seconds", task="billing.heartbeat")
    assert time.time() - 60 < last <= time.time()
    assert metric_value(after, "billing_beat_job_interval_seconds", task="billing.heartbeat") == 300  # */5 min


def test_a_failing_task_moves_the_failures(monkeypatch):
    import billing.services

    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(billing.services, "credits_expire", broken)
    task = app.tasks["billing.credits_expire"]
    before = metrics_scraped()
    result = task.apply(throw=False)  # as a worker runs it (eager tasks re-raise before the failure signal)
    assert result.state == "FAILURE"
    after = metrics_scraped()
    name = "billing_celery_task_failures_total"
    assert metric_value(after, name, task=task.name) == metric_value(before, name, task=task.name) + 1
    tasks = "billing_celery_tasks_total"
    assert (metric_value(after, tasks, task=task.name, state="FAILURE")
            == metric_value(before, tasks, task=task.name, state="FAILURE") + 1)
    assert (metric_value(after, "billing_beat_job_last_success_timestamp_seconds", task=task.name)
            == metric_value(before, "billing_beat_job_last_success_timestamp_seconds", task=task.name))


def test_subscriptions_and_outbox_lag_change_when_the_job_refreshes_them_not_on_a_scrape(make_account):
    metrics_refresh.apply()
    with tenancy.operator_scope():
        subscription_create(account=make_account(), plan=plan("scale", flat=1_200_000, interval="year"))
        with transaction.atomic():
            event = event_record(type="billing.test.waiting", account_id=None, payload={})
        OutboxEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    scraped = metrics_scraped()  # a scrape computes nothing
    assert metric_value(scraped, "billing_active_subscriptions", plan="scale") == 0

    metrics_refresh.apply()
    scraped = metrics_scraped()
    assert metric_value(scraped, "billing_active_subscriptions", plan="scale") == 1
    assert 600 <= metric_value(scraped, "billing_outbox_lag_seconds") < 700
    assert metric_value(scraped, "billing_outbox_pending_events") >= 1


def test_with_redis_down_metrics_still_answers_and_says_so(monkeypatch):
    monkeypatch.setattr(metric_store, "_client", redis.Redis(port=1, socket_connect_timeout=0.2))
    scraped = metrics_scraped()
    assert metric_value(scraped, "billing_metrics_store_up") == 0
    assert any(name.startswith("python_") for name, _ in scraped)  # the process's own metrics are still there
    TASKS.inc(task="test.redis_down", state="SUCCESS")
    metric_store.flush()  # nothing raised: the count is kept for the next flush
    assert (TASKS.key, TASKS.field({"task": "test.redis_down", "state": "SUCCESS"})) in metric_store._buffer
