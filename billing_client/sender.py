"""Sending usage events in the background, in batches, without ever blocking the caller."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from datetime import UTC, datetime

from .client import BillingClient, BillingClientError

logger = logging.getLogger("billing_client")
MAX_BATCH = 1000


class UsageSender:
    """Queue events; a daemon thread sends them every `interval` seconds (or at 1,000).

    A failed batch is retried (same idempotency keys, so nothing counts twice) with
    backoff; when the queue is full (`max_queue`), new events are dropped and logged
    rather than slowing the service down.
    """

    def __init__(self, client: BillingClient, *, interval: float = 1.0, max_queue: int = 100_000,
                 max_retries: int = 5):
        self.client = client
        self.interval = interval
        self.max_retries = max_retries
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="billing-usage-sender", daemon=True)
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._thread.start()

    def record(self, metric: str, *, idempotency_key: str | None = None, value=None, properties: dict | None = None,
               account_id=None, external_customer_id=None, timestamp: datetime | None = None) -> str:
        """Queue one event; returns its idempotency key. Never blocks, never raises for the network."""
        key = idempotency_key or uuid.uuid4().hex
        event = {"metric": metric, "idempotency_key": key,
                 "timestamp": (timestamp or datetime.now(UTC)).isoformat(), "properties": properties or {}}
        if value is not None:
            event["value"] = str(value)
        if account_id is not None:
            event["account_id"] = account_id
        elif external_customer_id is not None:
            event["external_customer_id"] = external_customer_id
        try:
            self._queue.put_nowait(event)
            self._idle.clear()
        except queue.Full:
            logger.error("billing usage queue full: dropped event %s", key)
        if self._queue.qsize() >= MAX_BATCH:
            self._wake.set()
        return key

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far was sent (tests, shutdown)."""
        self._wake.set()
        return self._idle.wait(timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Send what is queued, then close the connections (process shutdown)."""
        sent = self.flush(timeout)
        self.client.close()
        return sent

    def _take(self) -> list[dict]:
        batch = []
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            while batch := self._take():
                self._send(batch)
            self._idle.set()

    def _send(self, batch: list[dict]) -> None:
        for attempt in range(self.max_retries):
            try:
                result = self.client.send_events(batch)
                for rejected in result.get("rejected", []):
                    logger.warning("billing rejected a usage event: %s", rejected)
                return
            except (OSError, BillingClientError) as exc:
                if isinstance(exc, BillingClientError) and exc.status < 500 and exc.status != 429:
                    logger.error("billing refused a usage batch: %s", exc)
                    return
                time.sleep(min(2**attempt * 0.2, 5))
        logger.error("billing usage batch of %d events not sent after %d attempts", len(batch), self.max_retries)
