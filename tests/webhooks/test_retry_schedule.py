"""Failed attempts are retried on the Standard Webhooks schedule, by the billing clock (so time travel drives
it); a `Retry-After` on 429, 502 or 504 replaces the wait; `410 Gone` disables the endpoint at once; after the
last retry fails the endpoint is disabled and finance is emailed."""

from datetime import timedelta

import pytest
from django.core import mail

from billing import clock, outbox, tenancy
from tests.helpers import metric_value, metrics_scraped
from tests.webhooks.conftest import record_event
from webhooks.models import AttemptResult, DeliveryStatus, DisabledReason, WebhookDelivery
from webhooks.services import deliveries_deliver_due
from webhooks.services.deliveries import RETRY_SCHEDULE

pytestmark = pytest.mark.django_db
SCHEDULE = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
            timedelta(hours=5), timedelta(hours=10), timedelta(hours=14), timedelta(hours=20), timedelta(hours=24)]
FINANCE = "finance@example.com"


def attempt_at(at):
    with clock.frozen(at):
        return deliveries_deliver_due()


def test_the_schedule_is_the_specifications():
    assert RETRY_SCHEDULE == SCHEDULE


def test_each_retry_waits_its_turn_on_the_billing_clock_then_the_endpoint_is_disabled_and_finance_told(
        receiver, endpoint, operator, settings):
    settings.FINANCE_ALERT_EMAILS = [FINANCE]
    endpoint, _ = endpoint
    start = clock.now()
    with clock.frozen(start):
        record_event()
    for _ in range(1 + len(SCHEDULE)):
        receiver.answer(500, b"database is down")
    at = start
    failed_before, exhausted_before = attempts_counted("failed"), attempts_counted("exhausted")
    assert attempt_at(at) == 1
    for wait in SCHEDULE:
        assert attempt_at(at + wait - timedelta(seconds=1)) == 0, f"retried before {wait}"
        at += wait
        assert attempt_at(at) == 1, f"not retried after {wait}"
    assert len(receiver.requests) == 10
    assert (attempts_counted("failed"), attempts_counted("exhausted")) == (failed_before + 9, exhausted_before + 1)

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 10
    results = list(delivery.attempt_log.values_list("result", flat=True))
    assert results == [AttemptResult.FAILED] * 9 + [AttemptResult.EXHAUSTED]
    assert delivery.attempt_log.first().response_excerpt == "database is down"
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == DisabledReason.FAILING
    assert attempt_at(at + timedelta(days=30)) == 0  # nothing more is sent

    with tenancy.operator_scope():
        outbox.outbox_deliver_batch()  # the disabling event: finance's email
    [email] = mail.outbox
    assert email.to == [FINANCE] and endpoint.url in email.subject
    assert "failed its last retry" in email.body


def test_retry_after_replaces_the_wait_on_429_502_and_504(receiver, endpoint, operator):
    start = clock.now()
    with clock.frozen(start):
        record_event()
    receiver.answer(429, Retry_After="120")
    assert attempt_at(start) == 1
    assert attempt_at(start + timedelta(seconds=119)) == 0  # not after the schedule's 5 s
    receiver.answer(502, Retry_After="7200")
    assert attempt_at(start + timedelta(seconds=120)) == 1
    assert attempt_at(start + timedelta(seconds=120 + 7199)) == 0  # not after the schedule's 5 minutes
    receiver.answer(504, Retry_After="1")
    assert attempt_at(start + timedelta(seconds=120 + 7200)) == 1
    assert attempt_at(start + timedelta(seconds=120 + 7201)) == 1  # 1 s, not the schedule's 30 minutes
    assert len(receiver.requests) == 4


def test_retry_after_on_other_statuses_is_not_followed(receiver, endpoint, operator):
    start = clock.now()
    with clock.frozen(start):
        record_event()
    receiver.answer(500, Retry_After="3600")
    attempt_at(start)
    assert attempt_at(start + timedelta(seconds=5)) == 1


def attempts_counted(result: str) -> float:
    return metric_value(metrics_scraped(), "billing_webhook_deliveries_total", result=result)


def test_410_gone_disables_the_endpoint_at_once(receiver, endpoint, operator, settings):
    settings.FINANCE_ALERT_EMAILS = [FINANCE]
    endpoint, _ = endpoint
    gone_before = attempts_counted("gone")
    record_event()
    record_event(type="billing.plan.updated", payload={"plan": "standard"})
    receiver.answer(410)
    assert deliveries_deliver_due() == 1  # the second is not attempted: the endpoint is gone
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == DisabledReason.GONE
    statuses = set(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.FAILED}
    assert WebhookDelivery.objects.get(endpoint=endpoint, attempts=1).attempt_log.get().result == AttemptResult.GONE
    assert attempts_counted("gone") == gone_before + 1  # billing_webhook_deliveries_total{result="gone"}
    record_event()
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2  # nothing new for a disabled endpoint
    with tenancy.operator_scope():
        outbox.outbox_deliver_batch()
    [email] = mail.outbox
    assert "410 Gone" in email.body


def test_no_answer_is_a_failed_attempt_retried_later(endpoint, operator, settings):
    endpoint, _ = endpoint
    from webhooks.services import endpoint_update

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    endpoint_update(endpoint=endpoint, url="http://127.0.0.1:9/closed")  # nothing listens on the discard port
    start = clock.now()
    with clock.frozen(start):
        record_event()
    assert attempt_at(start) == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None and attempt.error and attempt.result == AttemptResult.FAILED
    assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at == start + SCHEDULE[0]
