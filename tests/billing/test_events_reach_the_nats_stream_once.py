"""The NATS JetStream sink against the real local server (nats://127.0.0.1:4222, JetStream on): each
event lands once on its type's subject however often it is published, a consumer reads it back,
the stream is made when missing, and an unreachable server raises so the outbox retries."""

import asyncio
import contextlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import nats
import pytest
from django.test import override_settings

from billing.models import OutboxEvent
from billing.sinks import event_envelope_json
from billing.streams.nats import NatsJetStreamSink, StreamUnavailable, connection_close

SERVER = "nats://127.0.0.1:4222"


async def _with_jetstream(work):
    client = await nats.connect(SERVER, connect_timeout=2)
    try:
        return await work(client.jetstream())
    finally:
        await client.close()


def jetstream(work):
    """Run `await work(js)` on a connection of the test's own (the sink's is not the consumer's), in a
    thread with its own event loop: an earlier test (Playwright's sync API) may have left one running
    in this thread, where asyncio.run() refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _with_jetstream(work)).result()


@pytest.fixture
def stream():
    """A stream name and subject prefix of this test's own, on the real server; deleted afterwards."""
    suffix = uuid.uuid4().hex[:10]
    name, prefix = f"TEST_EVENTS_{suffix}", f"test{suffix}"
    with override_settings(NATS_URL=SERVER, NATS_STREAM=name, NATS_SUBJECT_PREFIX=prefix):
        yield name, prefix
        connection_close()

    async def delete(js):
        from nats.js.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            await js.delete_stream(name)

    jetstream(delete)


def event(pk: int, type: str = "billing.invoice.paid", **payload) -> OutboxEvent:
    return OutboxEvent(id=pk, type=type, account_id=7, payload=payload or {"invoice_id": pk},
                       created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


def read_all(name: str, prefix: str, expected: int) -> list:
    async def read(js):
        consumer = await js.pull_subscribe(f"{prefix}.>", stream=name)
        messages = []
        while len(messages) < expected:
            batch = await consumer.fetch(expected, timeout=2)
            for message in batch:
                await message.ack()
            messages += [(m.subject, dict(m.headers or {}), json.loads(m.data)) for m in batch]
        with contextlib.suppress(nats.errors.TimeoutError):  # and nothing more than expected
            messages += [(m.subject, {}, None) for m in await consumer.fetch(1, timeout=0.5)]
        return messages

    return jetstream(read)


def stream_info(name: str):
    return jetstream(lambda js: js.stream_info(name))


def test_an_event_published_twice_is_delivered_once_on_its_types_subject(stream):
    name, prefix = stream
    sink = NatsJetStreamSink()
    sink.publish(event(41, amount=1200))
    sink.publish(event(41, amount=1200))  # the outbox retrying after a crash
    sink.publish(event(42, type="billing.payment.failed", failure_code="card_declined"))

    assert stream_info(name).state.messages == 2
    messages = read_all(name, prefix, expected=2)
    assert [(subject, headers["Nats-Msg-Id"]) for subject, headers, _ in messages] == [
        (f"{prefix}.billing.invoice.paid", "evt_41"), (f"{prefix}.billing.payment.failed", "evt_42")]
    # the same body a webhook delivery of the event carries
    assert messages[0][2] == {"id": "evt_41", "type": "billing.invoice.paid", "timestamp": "2026-03-01T12:00:00Z",
                              "api_version": "v1", "account_id": 7, "object_version": 41, "data": {"amount": 1200}}
    assert messages[0][2] == json.loads(event_envelope_json(event(41, amount=1200)))
    assert messages[1][1]["Billing-Event-Type"] == "billing.payment.failed"
    assert messages[1][2]["data"] == {"failure_code": "card_declined"}


def test_our_apps_internal_events_stay_off_the_stream(stream):
    name, _ = stream
    sink = NatsJetStreamSink()
    sink.publish(event(43, type="invoicing.collection_requested", invoice_id=9))
    sink.publish(event(44, amount=1))
    assert stream_info(name).state.messages == 1


def test_the_stream_is_created_when_missing_taking_every_subject_under_the_prefix(stream):
    name, prefix = stream

    async def missing(js):
        from nats.js.errors import NotFoundError

        with pytest.raises(NotFoundError):
            await js.stream_info(name)

    jetstream(missing)
    with override_settings(NATS_DUPLICATE_WINDOW_SECONDS=600):
        NatsJetStreamSink().publish(event(1))

    config = stream_info(name).config
    assert config.subjects == [f"{prefix}.>"]
    assert config.duplicate_window == 600


def test_an_existing_stream_is_used_as_it_is(stream):
    name, prefix = stream

    async def create(js):
        await js.add_stream(name=name, subjects=[f"{prefix}.billing.>"], duplicate_window=30)

    jetstream(create)
    NatsJetStreamSink().publish(event(5))

    info = stream_info(name)
    assert (info.config.subjects, info.config.duplicate_window, info.state.messages) == (
        [f"{prefix}.billing.>"], 30, 1)


def test_an_event_no_stream_takes_raises_so_the_outbox_retries_it(stream):
    name, prefix = stream

    async def create(js):  # a stream the operator made for invoices only
        await js.add_stream(name=name, subjects=[f"{prefix}.billing.invoice.>"])

    jetstream(create)
    with pytest.raises(StreamUnavailable, match=f"{prefix}.billing.payment.failed"):
        NatsJetStreamSink().publish(event(6, type="billing.payment.failed"))


@override_settings(NATS_URL="nats://127.0.0.1:1", NATS_TIMEOUT_SECONDS=1)
def test_an_unreachable_server_raises_so_the_outbox_retries_the_event():
    with pytest.raises(StreamUnavailable, match="could not connect to NATS at nats://127.0.0.1:1"):
        NatsJetStreamSink().publish(event(9))
    # The next events of the outbox's batch fail at once instead of each waiting for the timeout.
    with pytest.raises(StreamUnavailable, match="not tried again yet"):
        NatsJetStreamSink().publish(event(10))
    connection_close()


@override_settings(NATS_URL="")
def test_without_a_server_configured_the_sink_publishes_nothing():
    from billing.streams import nats as sink_module

    connection_close()
    NatsJetStreamSink().publish(event(10))
    assert sink_module._connection._client is None  # not even a connection attempted
