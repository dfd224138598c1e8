"""The outbox hands every event to each configured sink (EVENT_SINKS) after its handlers, in the same
savepoint: a failing sink makes the event retry with the outbox's backoff, and a sink sees it again."""

import pytest
from django.db import transaction

from billing import outbox, sinks, tenancy
from billing.conf import BillingSettings
from billing.models import OutboxEvent
from billing.models.outbox import OutboxStatus

pytestmark = pytest.mark.django_db
SEEN: list[tuple[str, int]] = []


class RecordingSink:
    name = "recording"

    def publish(self, event):
        SEEN.append(("sink", event.pk))


class FailingOnceSink:
    name = "failing-once"
    failed: set = set()

    def publish(self, event):
        if event.pk not in self.failed:
            self.failed.add(event.pk)
            raise ConnectionError("stream unreachable")
        SEEN.append(("sink", event.pk))


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    SEEN.clear()
    monkeypatch.setattr(outbox, "_handlers", outbox.defaultdict(list))
    outbox.handler("test.happened")(lambda event: SEEN.append(("handler", event.pk)))


def record():
    with tenancy.operator_scope(), transaction.atomic():
        return outbox.event_record(type="test.happened", account_id=None, payload={})


def test_every_sink_gets_each_event_after_the_handlers(settings, operator):
    settings.EVENT_SINKS = ["tests.billing.test_event_sinks.RecordingSink"]
    event = record()
    assert outbox.outbox_deliver_batch() == 1
    assert [("handler", event.pk), ("sink", event.pk)] == SEEN


def test_a_failing_sink_retries_the_event_like_a_failing_handler(settings, operator):
    settings.EVENT_SINKS = ["tests.billing.test_event_sinks.FailingOnceSink"]
    event = record()
    assert outbox.outbox_deliver_batch() == 0
    event.refresh_from_db()
    assert event.status == OutboxStatus.PENDING and "stream unreachable" in event.last_error
    OutboxEvent.objects.filter(pk=event.pk).update(next_attempt_at=event.created_at)
    assert outbox.outbox_deliver_batch() == 1
    assert [("handler", event.pk), ("handler", event.pk), ("sink", event.pk)] == SEEN


def test_sinks_are_built_once_per_process(settings):
    settings.EVENT_SINKS = ["tests.billing.test_event_sinks.RecordingSink"]
    first, second = sinks.configured_sinks(), sinks.configured_sinks()
    assert first[0] is second[0] and isinstance(first[0], sinks.EventSink)


def test_the_defaults_are_the_webhook_and_the_stream_sinks():
    assert BillingSettings.EVENT_SINKS.default == ["webhooks.sinks.WebhookSink",
                                                   "billing.streams.nats.NatsJetStreamSink"]
    from billing.streams.nats import NatsJetStreamSink
    from webhooks.sinks import WebhookSink

    assert isinstance(WebhookSink(), sinks.EventSink)
    assert isinstance(NatsJetStreamSink(), sinks.EventSink)


@pytest.mark.parametrize("paths", [["no.such.Sink"], ["billing.outbox.backoff"], ["billing"]])
def test_a_path_that_names_no_sink_class_stops_the_start(paths):
    assert BillingSettings.EVENT_SINKS.complaint(paths)[0] == "E005"
