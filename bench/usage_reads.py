"""Usage reads as usage grows: `/usage/current` and `/invoices/upcoming` at two sizes, and freshness.

    .venv/bin/python bench/usage_reads.py [--sizes 100000,10000000] [--requests 300] [--fresh 200] [--workers 3]

On a throwaway database, one account is subscribed (12 days ago, at an odd second) to a
monthly plan charging two metrics: `api_calls` (count) and `llm_tokens` (sum of the
`tokens` property, grouped by `model`, three models). For each size in `--sizes`, the
current period is filled up to that many events (spread over the 12 days elapsed; the
first size's each received a second after its timestamp, the next sizes' received as a
backlog just before the job runs again), loaded with `COPY` into a staging table and
moved into the partitioned event table (PostgreSQL refuses `COPY` into a table with
row-level security); then the rollup job folds them as it would have as they arrived
(`usage_rollups_advance` until caught up) and the table is vacuumed and analyzed (as
autovacuum would). The web server is started the way `make run` starts it (granian,
`config.wsgi`, several worker processes, DEBUG off) and `--requests` sequential requests
of each endpoint are timed on a keep-alive connection, after a warm-up.

Freshness: `--fresh` times, one event is sent with `POST /api/v1/usage/events` and
`/usage/current` is read until it shows it; the time from sending the event to the read
that shows it. The rollup job is not running meanwhile: every one of these events is in
the raw tail, as an event accepted since the job's last run is.

The baseline is the smaller size measured in the same run: the last line reads
`usage_reads: <N> events p99 current <MS> ms, upcoming <MS> ms; ratio to <M> events <R> / <R>; fresh p99 <MS> ms`.
It asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, percentile, throwaway_database, web_server  # noqa: E402

MODELS = ("small", "large", "vision")
COPY_CHUNK = 1_000_000


def setup_tenant() -> tuple[int, int, int, int, str, datetime]:
    from billing import tenancy
    from billing.services import account_create, api_key_create, plan_create, subscription_create
    from metering.services import billable_metric_create

    with tenancy.operator_scope():
        account = account_create(name="Bench Corp", external_id="bench")
        calls = billable_metric_create(code="api_calls", name="API calls")
        tokens = billable_metric_create(code="llm_tokens", name="LLM tokens", aggregation="sum", field_name="tokens",
                                        group_by=["model"])
        plan = plan_create(
            code="bench", name="Bench", prices={"USD": {"flat_amount": 4900, "seat_amount": None}},
            charges=[{"metric": "api_calls", "currency": "USD", "unit_price": "0.0001"},
                     {"metric": "llm_tokens", "currency": "USD", "unit_price": "0.000002"}],
            limits=[{"metric": "api_calls", "included": 50_000_000, "cap_mode": "soft"}])
        start = datetime.now(UTC) - timedelta(days=12, hours=3, minutes=17, seconds=29, microseconds=123_456)
        subscription = subscription_create(account=account, plan=plan, start_at=start)
        secret = api_key_create(name="bench", scopes=["usage:read", "usage:write", "billing:read"],
                                account=account).secret
    return account.pk, calls.pk, tokens.pk, subscription.pk, secret, subscription.current_period_start


def load_events(env: dict, account_id: int, metric_ids: tuple[int, int], period_start: datetime, count: int,
                offset: int) -> float:
    """COPY `count` events into a staging table and move them into the event table (as the application
    role, in the operator scope: the tenant policy applies to the move); seconds taken."""
    import psycopg
    from django.db import connection, transaction

    from billing import tenancy

    began = time.monotonic()
    now = datetime.now(UTC) - timedelta(minutes=2)
    span = (now - period_start).total_seconds()
    rng = random.Random(offset)
    calls, tokens = metric_ids
    # The first load is received as it happened (a second after each event); a later one arrives as a
    # backlog received just now, after what the job has folded (as events received during an outage).
    backlog_received_at = None if offset == 0 else datetime.now(UTC) - timedelta(seconds=10)
    with tenancy.operator_scope():
        with connection.cursor() as cursor:
            cursor.execute("SELECT metering_usage_partitions_ensure(%s, %s)", [period_start.date(), now.date()])
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS staging (account_id bigint, metric_id bigint, "
                           "\"timestamp\" timestamptz, idempotency_key text, value numeric, properties jsonb, "
                           "received_at timestamptz)")
        for first in range(0, count, COPY_CHUNK):
            with transaction.atomic():
                with connection.connection.cursor().copy("COPY staging FROM STDIN") as copy:
                    for n in range(offset + first, offset + min(count, first + COPY_CHUNK)):
                        at = period_start + timedelta(seconds=rng.random() * span)
                        if n % 2:
                            properties = json.dumps({"model": MODELS[n % 3], "tokens": rng.randint(1, 4000)})
                            copy.write_row((account_id, tokens, at, f"bench-{n}", None, properties,
                                            backlog_received_at or at + timedelta(seconds=1)))
                        else:
                            copy.write_row((account_id, calls, at, f"bench-{n}", None, "{}",
                                            backlog_received_at or at + timedelta(seconds=1)))
                with connection.cursor() as cursor:
                    # in order of receipt, as events are appended to their partitions as they arrive
                    cursor.execute("INSERT INTO metering_usageevent SELECT * FROM staging ORDER BY received_at")
                    cursor.execute("TRUNCATE staging")
    with psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE metering_usageevent")
    return time.monotonic() - began


def roll_up() -> tuple[float, int]:
    """Fold as the job would, until caught up; (seconds, calls of the job)."""
    from billing import tenancy
    from metering.services import usage_rollups_advance

    began, runs = time.monotonic(), 0
    with tenancy.operator_scope():
        while True:
            runs += 1
            through = usage_rollups_advance()
            if through is not None and datetime.now(UTC) - through < timedelta(seconds=30):
                break
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE metering_usagerollup")
    return time.monotonic() - began, runs


class Client:
    def __init__(self, url: str, secret: str):
        parts = urlparse(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
        began = time.perf_counter()
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        answer = self.conn.getresponse()
        data = answer.read()
        return answer.status, data, (time.perf_counter() - began) * 1000


def timed(client: Client, path: str, requests: int) -> list[float]:
    for _ in range(20):  # warm-up: the worker's connection, caches, prepared plans
        status, data, _ = client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {data[:300]!r}")
    return [client.request("GET", path)[2] for _ in range(requests)]


def calls_used(client: Client) -> int:
    status, data, _ = client.request("GET", "/api/v1/usage/current")
    metrics = {m["metric"]: m for m in json.loads(data)["metrics"]}
    return int(metrics["api_calls"]["usage"])


def freshness(client: Client, events: int) -> list[float]:
    seen = calls_used(client)
    delays = []
    for n in range(events):
        began = time.perf_counter()
        status, data, _ = client.request("POST", "/api/v1/usage/events",
                                         {"metric": "api_calls", "idempotency_key": f"fresh-{n}-{time.time_ns()}"})
        if status != 202:
            raise RuntimeError(f"POST /usage/events: {status} {data[:300]!r}")
        while calls_used(client) < seen + 1:
            if time.perf_counter() - began > 10:
                raise RuntimeError("an accepted event did not show in current usage within 10 s")
        seen += 1
        delays.append((time.perf_counter() - began) * 1000)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,10000000", help="events in the current period, ascending")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint and size")
    parser.add_argument("--fresh", type=int, default=200, help="events timed from sending to showing")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]

    results = []
    with throwaway_database("bench_usage_reads") as env:
        django_setup(env)
        account_id, calls, tokens, subscription_id, secret, period_start = setup_tenant()
        loaded = 0
        for size in sizes:
            load_seconds = load_events(env, account_id, (calls, tokens), period_start, size - loaded, loaded)
            loaded = size
            fold_seconds, runs = roll_up()
            print(f"{size:,} events: loaded in {load_seconds:.0f} s, folded in {fold_seconds:.0f} s "
                  f"({runs} runs of the job)", flush=True)
            with web_server(env, workers=options.workers) as url:
                client = Client(url, secret)
                current = timed(client, "/api/v1/usage/current", options.requests)
                upcoming = timed(client, f"/api/v1/invoices/upcoming?subscription_id={subscription_id}",
                                 options.requests)
                fresh = freshness(client, options.fresh) if size == sizes[-1] else []
                client.conn.close()
            results.append((size, current, upcoming, fresh))
            print(f"{size:,} events: /usage/current p50 {percentile(current, 50):.1f} ms, p99 "
                  f"{percentile(current, 99):.1f} ms; /invoices/upcoming p50 {percentile(upcoming, 50):.1f} ms, "
                  f"p99 {percentile(upcoming, 99):.1f} ms", flush=True)

    (base, base_current, base_upcoming, _), (size, current, upcoming, fresh) = results[0], results[-1]
    p99 = {name: percentile(values, 99) for name, values in
           (("current", current), ("upcoming", upcoming), ("base_current", base_current),
            ("base_upcoming", base_upcoming))}
    print(f"freshness: {len(fresh)} events, p50 {percentile(fresh, 50):.1f} ms, p99 {percentile(fresh, 99):.1f} ms, "
          f"max {max(fresh, default=0):.1f} ms")
    print(f"usage_reads: {size:,} events p99 current {p99['current']:.1f} ms, upcoming {p99['upcoming']:.1f} ms; "
          f"ratio to {base:,} events {p99['current'] / p99['base_current']:.2f} / "
          f"{p99['upcoming'] / p99['base_upcoming']:.2f}; fresh p99 {percentile(fresh, 99):.1f} ms")


if __name__ == "__main__":
    main()
