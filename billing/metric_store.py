"""Business metrics kept in Redis, so that every process's counts reach the one /metrics scraped.

Why Redis and not prometheus_client's own in-process metrics: web processes (granian workers),
Celery workers and beat are separate processes, often on separate machines, and only the web
serves /metrics. A counter moved in a worker would never be scraped, and one moved in a web
worker would be seen only when the scrape lands on that worker. prometheus_client's
multiprocess mode shares files between processes of one machine only. So counters, gauges and
histograms declared here live in Redis hashes (the cache's Redis, under its key prefix), and a
collector registered with prometheus_client's default registry reads them on each scrape, beside
django-prometheus's request metrics (docs/observability.md).

- Counters and histograms are added up in the process first and written at most once a second
  (`FLUSH_SECONDS`) by a background thread, so the hot paths (usage ingestion, every Celery task)
  pay a dictionary update, not a Redis round trip. A scrape flushes its own process first. What a
  process had not flushed when it died is lost: a second of counts, at most.
- `Counter.inc_once(key, ...)` counts once per key (an outbox event's id): the outbox may run a
  handler again when another handler of the same event failed, and must not count twice.
- Gauges that need queries are worked out by a beat job (`metrics_refresh`, every minute) from the
  refreshers the apps register, and replaced whole; a scrape only reads them. Gauges whose value
  is plain configuration are computed at the scrape (`Gauge(read=...)`), with no query.
- Metrics never fail what they count: a Redis error is logged and the counts are kept for the
  next flush (or, for `inc_once`, lost).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

import redis
from django.conf import settings
from prometheus_client.core import (
    REGISTRY,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
ONCE_TTL_SECONDS = 14 * 24 * 3600  # longer than the outbox retries an event (about 2.5 hours)
DEFAULT_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)

_metrics: dict[str, Metric] = {}
_refreshers: list[Callable[[], dict]] = []


class Metric:
    kind = ""

    def __init__(self, name: str, documentation: str, labels: Iterable[str] = ()):
        if name in _metrics:
            raise ValueError(f"metric {name} is declared twice")
        self.name, self.documentation, self.labels = name, documentation, tuple(labels)
        self._fields: dict[tuple, str] = {}
        _metrics[name] = self

    @property
    def key(self) -> str:
        return f"{_prefix()}:{self.name}"

    def field(self, labels: dict, *extra: str) -> str:
        """The hash field of one series: its label values (and a histogram's part) as JSON; remembered,
        since the hot paths count the same few series over and over."""
        remembered = (*sorted(labels.items()), *extra)
        field = self._fields.get(remembered)
        if field is None:
            if set(labels) != set(self.labels):
                raise ValueError(f"{self.name} takes the labels {self.labels}, not {tuple(labels)}")
            field = json.dumps([str(labels[name]) for name in self.labels] + list(extra))
            if len(self._fields) < 10_000:  # label values are bounded; this bounds the memory if they were not
                self._fields[remembered] = field
        return field

    def family(self):
        raise NotImplementedError

    def samples(self, stored: dict[str, str]):
        """The metric family with the values read from its Redis hash."""
        family = self.family()
        for field, value in stored.items():
            family.add_metric(json.loads(field), float(value))
        return family


class Counter(Metric):
    kind = "counter"

    def inc(self, amount: float = 1, **labels) -> None:
        if amount:
            _buffer_add(self.key, self.field(labels), amount)

    def inc_once(self, once: str, amount: float = 1, **labels) -> None:
        counts_once(once, [(self, labels, amount)])

    def family(self):
        return CounterMetricFamily(self.name, self.documentation, labels=self.labels)


class Gauge(Metric):
    """Set from one place (`set`), replaced whole by a refresher, or read from configuration at the scrape."""

    kind = "gauge"

    def __init__(self, name: str, documentation: str, labels: Iterable[str] = (),
                 read: Callable[[], dict[tuple, float]] | None = None):
        super().__init__(name, documentation, labels)
        self.read = read

    def set(self, value: float, **labels) -> None:
        try:
            client().hset(self.key, self.field(labels), repr(float(value)))
        except redis.RedisError as exc:
            _warn("could not set %s: %s", self.name, exc)

    def family(self):
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labels)

    def samples(self, stored: dict[str, str]):
        if self.read is None:
            return super().samples(stored)
        family = self.family()
        for values, value in self.read().items():
            family.add_metric([str(v) for v in values], float(value))
        return family


class Histogram(Metric):
    kind = "histogram"

    def __init__(self, name: str, documentation: str, labels: Iterable[str] = (), buckets=DEFAULT_BUCKETS):
        super().__init__(name, documentation, labels)
        self.bounds = tuple(float(b) for b in buckets) + (float("inf"),)

    def observe(self, value: float, **labels) -> None:
        bound = next(b for b in self.bounds if value <= b)
        for part, amount in ((_bound_text(bound), 1), ("sum", value), ("count", 1)):
            _buffer_add(self.key, self.field(labels, part), amount)

    def family(self):
        return HistogramMetricFamily(self.name, self.documentation, labels=self.labels)

    def samples(self, stored: dict[str, str]):
        series: dict[tuple, dict[str, float]] = {}
        for field, value in stored.items():
            *labels, part = json.loads(field)
            series.setdefault(tuple(labels), {})[part] = float(value)
        family = self.family()
        for labels, parts in series.items():
            total, buckets = 0.0, []
            for bound in self.bounds:  # stored per bucket, exposed cumulative
                total += parts.get(_bound_text(bound), 0.0)
                buckets.append((_bound_text(bound), total))
            family.add_metric(list(labels), buckets, parts.get("sum", 0.0))
        return family


def _bound_text(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def metrics_declared() -> list[Metric]:
    return list(_metrics.values())


def store_key(name: str) -> str:
    """A Redis key of the store for figures of an app's own that are not metrics themselves (tallies)."""
    return f"{_prefix()}:tally:{name}"


def tally(key: str, field: str, amount: float) -> None:
    """Add to a field of a hash of the store (`store_key`), through the same buffer as the counters."""
    _buffer_add(key, field, amount)


# --- Redis ----------------------------------------------------------------------------------------------------

_client: redis.Redis | None = None


def client() -> redis.Redis:
    global _client
    if _client is None:
        # Short timeouts: a dead Redis must cost a request or a task milliseconds, not seconds.
        _client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"], socket_connect_timeout=0.2,
                                       socket_timeout=0.5, retry_on_timeout=False, health_check_interval=0)
    return _client


_prefix_read: str | None = None


def _prefix() -> str:
    # The cache's key prefix, read once per process (the test settings give each process its own).
    global _prefix_read
    if _prefix_read is None:
        _prefix_read = f"{settings.CACHES['default'].get('KEY_PREFIX', 'billing')}:metrics"
    return _prefix_read


_last_warning = 0.0


def _warn(message: str, *args) -> None:
    """At most one warning a minute: a Redis outage must not flood the log from every request."""
    global _last_warning
    if time.monotonic() - _last_warning > 60:
        _last_warning = time.monotonic()
        logger.warning("metrics: " + message, *args)


_COUNT_ONCE = """
-- KEYS[1]: the once-key; then one hash per increment. ARGV[1]: the once-key's TTL; then field, amount pairs.
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 2, #KEYS do redis.call('HINCRBYFLOAT', KEYS[i], ARGV[2 * i - 2], ARGV[2 * i - 1]) end
return 1
"""


def counts_once(once: str, increments: list[tuple[Counter, dict, float]]) -> bool:
    """Add each (counter, labels, amount) unless `once` was counted already; True when counted now."""
    keys, args = [f"{_prefix()}:once:{once}"], [ONCE_TTL_SECONDS]
    for counter, labels, amount in increments:
        keys.append(counter.key)
        args += [counter.field(labels), amount]
    try:
        return bool(client().eval(_COUNT_ONCE, len(keys), *keys, *args))
    except redis.RedisError as exc:
        _warn("could not count %s: %s", once, exc)
        return False


# --- the in-process buffer --------------------------------------------------------------------------------------

_buffer: dict[tuple[str, str], float] = {}
_lock = threading.Lock()
_flusher: threading.Thread | None = None


def _buffer_add(key: str, field: str, amount: float) -> None:
    global _flusher
    with _lock:
        _buffer[(key, field)] = _buffer.get((key, field), 0) + amount
        if _flusher is None:
            _flusher = threading.Thread(target=_flush_forever, name="metrics-flush", daemon=True)
            _flusher.start()


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        flush()


def flush() -> None:
    """Write this process's counts to Redis; on failure keep them for the next try."""
    with _lock:
        if not _buffer:
            return
        pending = dict(_buffer)
        _buffer.clear()
    try:
        pipe = client().pipeline(transaction=False)
        for (key, field), amount in pending.items():
            pipe.hincrbyfloat(key, field, amount)
        pipe.execute()
    except redis.RedisError as exc:
        _warn("could not write %d counts (kept for the next try): %s", len(pending), exc)
        with _lock:
            for item, amount in pending.items():
                _buffer[item] = _buffer.get(item, 0) + amount


def _after_fork_in_child() -> None:
    # A forked child (a Celery prefork worker) has no flusher thread and must not write its parent's counts.
    global _flusher, _lock, _client
    _buffer.clear()
    _flusher, _lock, _client = None, threading.Lock(), None


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(flush)


# --- gauges refreshed by the beat job -----------------------------------------------------------------------------

def refresher(func: Callable[[], dict]) -> Callable[[], dict]:
    """Register a function returning {gauge: {label values tuple: value}}; run by metrics_refresh."""
    if func not in _refreshers:
        _refreshers.append(func)
    return func


def gauges_replace(values: dict[Gauge, dict[tuple, float]]) -> None:
    """Replace each gauge's series with these (a series no longer there disappears)."""
    pipe = client().pipeline(transaction=True)
    for gauge, series in values.items():
        pipe.delete(gauge.key)
        if series:
            pipe.hset(gauge.key, mapping={gauge.field(dict(zip(gauge.labels, labels, strict=True))): repr(float(v))
                                          for labels, v in series.items()})
    pipe.execute()


def gauges_refresh() -> list[str]:
    """Run every refresher; one that fails keeps its gauges' previous values. Returns the ones that failed."""
    failed = []
    for func in _refreshers:
        try:
            gauges_replace(func())
        except Exception:
            logger.exception("metrics: refreshing %s failed", func.__qualname__)
            failed.append(func.__qualname__)
    return failed


# --- the collector ------------------------------------------------------------------------------------------------

class StoreCollector:
    """Reads every declared metric from Redis on a scrape (one round trip)."""

    def describe(self):
        return [metric.family() for metric in _metrics.values()] + [_store_up(None)]

    def collect(self):
        flush()
        metrics = list(_metrics.values())
        try:
            pipe = client().pipeline(transaction=False)
            for metric in metrics:
                pipe.hgetall(metric.key)
            stored = pipe.execute()
        except redis.RedisError as exc:
            _warn("could not read the metrics: %s", exc)
            yield _store_up(0)
            return
        for metric, values in zip(metrics, stored, strict=True):
            yield metric.samples({k.decode(): v.decode() for k, v in values.items()})
        yield _store_up(1)


def _store_up(value: int | None):
    family = GaugeMetricFamily("billing_metrics_store_up",
                               "Whether /metrics could read the business metrics from Redis (1) or not (0)")
    if value is not None:
        family.add_metric([], value)
    return family


_collector: StoreCollector | None = None


def collector_register() -> None:
    """Once per process (BillingConfig.ready)."""
    global _collector
    if _collector is None:
        _collector = StoreCollector()
        REGISTRY.register(_collector)
