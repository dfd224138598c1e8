"""The NATS JetStream sink: each outbox event onto a subject per event type, once.

- Subject: `<NATS_SUBJECT_PREFIX>.<event type>`, such as `events.billing.invoice.paid`, so a consumer
  subscribes to one type, a family (`events.billing.invoice.>`) or everything (`events.>`).
- Message id: the event's id in the `Nats-Msg-Id` header. The outbox delivers at least once (a
  worker may die after the publish and before marking the event delivered); the stream drops a
  message whose id it has seen within its duplicate window, so consumers get each event once.
- The stream (`NATS_STREAM`, taking `<prefix>.>`) is created on first use when missing; an existing
  one is used as it is.
- The outbox runs in synchronous Celery tasks and nats-py is asyncio: each process keeps one event
  loop in a daemon thread and one connection on it (made on first use, again after a fork, and
  kept alive between events, so the server's pings are answered). A publish waits at most
  NATS_TIMEOUT_SECONDS for the stream's acknowledgement; a NATS outage raises `StreamUnavailable`
  and the outbox retries the event later. After a failure, publishes to the same servers fail at
  once for NATS_TIMEOUT_SECONDS, so a batch of events does not wait out the timeout once per event.

docs/events-stream.md describes the subjects, the message and the dedupe for consumers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time

from billing import conf
from billing.sinks import event_envelope_json, event_message_id, is_public_event

logger = logging.getLogger(__name__)


class StreamUnavailable(Exception):
    """The event could not be handed to the stream; the outbox retries it."""


def subject_for(event_type: str, prefix: str | None = None) -> str:
    return f"{prefix or conf.settings.NATS_SUBJECT_PREFIX}.{event_type}"


def message_body(event) -> bytes:
    """What a consumer reads: the same JSON a webhook delivery of the event carries (docs/events.md)."""
    return event_envelope_json(event).encode()


class NatsJetStreamSink:
    """An event sink (settings.EVENT_SINKS): publish() hands one event on, idempotently per event id."""

    name = "nats"

    def publish(self, event) -> None:
        settings = conf.settings
        if not settings.NATS_URL or not is_public_event(event.type):
            return  # no stream configured, or one of our apps' internal events
        timeout = settings.NATS_TIMEOUT_SECONDS
        coroutine = _connection.publish(
            servers=[url.strip() for url in settings.NATS_URL.split(",") if url.strip()],
            stream=settings.NATS_STREAM, prefix=settings.NATS_SUBJECT_PREFIX,
            duplicate_window=settings.NATS_DUPLICATE_WINDOW_SECONDS, timeout=timeout,
            subject=subject_for(event.type, settings.NATS_SUBJECT_PREFIX), body=message_body(event),
            headers={"Nats-Msg-Id": event_message_id(event.pk), "Billing-Event-Type": event.type})
        # Connecting, making the stream and the acknowledgement each have `timeout`; this bounds them all.
        _loop.run(coroutine, timeout=3 * timeout + 1)


class _Loop:
    """One asyncio event loop per process, in a daemon thread; synchronous callers wait on its futures."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child (Celery prefork): a loop of its own
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="nats-sink", daemon=True).start()
                self._pid = os.getpid()
                _connection.forget()
            return self._loop

    def run(self, coroutine, *, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running())
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise StreamUnavailable(f"NATS did not answer within {timeout:g} s") from None


class _Connection:
    """The process's NATS connection and the streams already checked on it (used on the loop's thread)."""

    def __init__(self):
        self.forget()

    def forget(self) -> None:
        self._client = None
        self._servers: list[str] = []
        self._streams: set[tuple[str, str]] = set()
        self._connecting: asyncio.Lock | None = None
        # After a failure, the servers it was about and until when to fail at once: the outbox hands over
        # up to 100 events in one transaction, and each must not wait out the timeout again.
        self._failed: tuple[list[str], float, str] | None = None

    def _failing(self, servers: list[str]) -> None:
        if self._failed is not None:
            failed_servers, until, why = self._failed
            if failed_servers == servers and time.monotonic() < until:
                raise StreamUnavailable(f"{why} (a moment ago; not tried again yet)")
            self._failed = None

    def _fail(self, servers: list[str], timeout: float, why: str) -> StreamUnavailable:
        self._failed = (servers, time.monotonic() + timeout, why)
        return StreamUnavailable(why)

    async def _jetstream(self, servers: list[str], timeout: float):
        import nats

        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._client is not None and (self._client.is_closed or servers != self._servers):
                await _close_quietly(self._client)
                self._client = None
            if self._client is None:
                try:
                    # Once connected it reconnects on its own, for ever; the first connection must succeed
                    # within the timeout (nats-py would otherwise retry it for ever too).
                    self._client = await asyncio.wait_for(nats.connect(
                        servers=servers, connect_timeout=timeout, allow_reconnect=True, max_reconnect_attempts=-1,
                        reconnect_time_wait=1, error_cb=_log_error), timeout)
                except Exception as exc:
                    why = f"no connection within {timeout:g} s" if isinstance(exc, TimeoutError) else (
                        f"{type(exc).__name__}: {exc}")
                    raise self._fail(servers, timeout, f"could not connect to NATS at {', '.join(servers)}: "
                                                       f"{why}") from None
                self._servers, self._streams = servers, set()
        return self._client.jetstream(timeout=timeout)

    async def _stream_ensure(self, js, *, stream: str, prefix: str, duplicate_window: int) -> None:
        from nats.js.errors import NotFoundError

        if (stream, prefix) in self._streams:
            return
        try:
            await js.stream_info(stream)
        except NotFoundError:
            # Two processes may race here: the same configuration added twice is accepted.
            await js.add_stream(name=stream, subjects=[f"{prefix}.>"], duplicate_window=duplicate_window)
            logger.info("nats: created the stream %s for the subjects %s.>", stream, prefix)
        self._streams.add((stream, prefix))

    async def publish(self, *, servers, stream, prefix, duplicate_window, timeout, subject, body, headers):
        from nats.errors import NoRespondersError

        self._failing(servers)
        js = await self._jetstream(servers, timeout)
        try:
            await self._stream_ensure(js, stream=stream, prefix=prefix, duplicate_window=duplicate_window)
            return await js.publish(subject, body, timeout=timeout, stream=stream, headers=headers)
        except StreamUnavailable:
            raise
        except TimeoutError:
            raise self._fail(servers, timeout, f"NATS did not acknowledge {subject} within {timeout:g} s") from None
        except NoRespondersError:
            raise StreamUnavailable(f"no JetStream stream takes {subject} (the stream {stream} should take "
                                    f"{prefix}.>)") from None
        except Exception as exc:
            raise StreamUnavailable(f"NATS refused or dropped {subject}: {type(exc).__name__}: {exc}") from None

    async def close(self) -> None:
        if self._client is not None:
            await _close_quietly(self._client)
        self.forget()


async def _close_quietly(client) -> None:
    try:
        await client.close()
    except Exception:  # closing a dead connection may fail; it is dropped either way
        logger.debug("nats: closing the connection failed", exc_info=True)


async def _log_error(exc: Exception) -> None:
    logger.warning("nats: %s: %s", type(exc).__name__, exc)


_connection = _Connection()
_loop = _Loop()


def connection_close() -> None:
    """Drop this process's connection (tests; a settings change is also noticed on the next publish)."""
    if _loop._pid == os.getpid():
        _loop.run(_connection.close(), timeout=5)
