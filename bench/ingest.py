"""Usage ingestion end to end through the real server, against a raw COPY baseline.

    .venv/bin/python bench/ingest.py [--seconds 30] [--clients 4] [--workers 3] [--duplicates 0.3]

1. Creates a throwaway database (migrated as `make db` does), an account, a metric
   and an operator API key, then starts the web server the way `make run` does
   (granian, `config.wsgi`, several worker processes; DEBUG off).
2. `--clients` processes each send batches of 1,000 events to POST /api/v1/usage/events
   over keep-alive HTTP for `--seconds`. With `--duplicates 0.3`, 30% of each batch
   repeats keys already sent in the previous batch (cross-batch duplicates).
3. Checks exactly-once: the rows stored equal the events acknowledged as accepted.
4. Baseline in the same run: a raw `COPY` of the same kind of events, from one
   connection, into an identical partitioned table without keys, RLS or HTTP,
   measured before and after the HTTP run; the ratio uses the faster of the two
   (on a shared machine a baseline slowed by others' load would flatter the ratio).

Prints events/s (accepted + acknowledged duplicates: every event fully processed),
accepted/s, p50/p99 batch latency and the ratio to COPY. The last line reads
`ingest: <N> events/s, ratio to COPY <R>, p99 <MS> ms`. It asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    django_setup,
    machine_cpu_ticks,
    machine_shares,
    percentile,
    postgres_cpu_seconds,
    server_cpu_by_process,
    throwaway_database,
    web_server,
    worker_shares,
)

BATCH = 1000
BASELINE_CPU_MS_PER_BATCH: list[float] = []  # CPU (client + PostgreSQL) per 1,000 rows of each baseline run
MODELS = ("gpt-4", "small", "embed")
REGIONS = ("eu", "us")


def make_events(client: int, batch: int, duplicates: float, account_id: int, now: datetime) -> list[dict]:
    """A batch; with duplicates, its first keys repeat fresh keys of the previous batch (already stored)."""
    repeat = int(BATCH * duplicates) if batch > 0 else 0
    events = []
    for i in range(BATCH):
        key = f"c{client}-b{batch - 1:08d}-{i + repeat}" if i < repeat else f"c{client}-b{batch:08d}-{i}"
        events.append({"metric": "llm_tokens", "idempotency_key": key, "account_id": account_id,
                       "timestamp": (now - timedelta(seconds=i % 600)).isoformat(),
                       "properties": {"tokens": 100 + i % 900, "model": MODELS[i % 3], "region": REGIONS[i % 2]}})
    return events


class BodyTemplate:
    """One encoded batch whose batch numbers are placeholders: each request's body is two
    byte replacements away, so the load generator barely competes with the server for CPU."""

    THIS, PREVIOUS = b"b99999999-", b"b88888888-"

    def __init__(self, client: int, duplicates: float, account_id: int):
        events = make_events(client, 99999999, 0, account_id, datetime.now(UTC))
        repeat = int(BATCH * duplicates)
        for i in range(repeat):
            events[i]["idempotency_key"] = f"c{client}-b88888888-{i + repeat}"
        self.template = msgspec.json.encode({"events": events})
        self.duplicates = duplicates

    def body(self, batch: int) -> bytes:
        body = self.template.replace(self.THIS, b"b%08d-" % batch)
        if self.duplicates and batch > 0:
            return body.replace(self.PREVIOUS, b"b%08d-" % (batch - 1))
        return body.replace(self.PREVIOUS, b"b%08d-" % batch)


def client_loop(args) -> dict:
    client, url, key, account_id, seconds, duplicates = args
    parts = urlparse(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    decode = msgspec.json.decode
    template = BodyTemplate(client, duplicates, account_id)
    latencies, accepted, dup_acks, rejected, batches = [], 0, 0, 0, 0
    cpu_started = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = template.body(batches)
        started = time.perf_counter()
        connection.request("POST", "/api/v1/usage/events", body=body, headers=headers)
        response = connection.getresponse()
        data = decode(response.read())
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 202:
            raise RuntimeError(f"ingestion answered {response.status}: {data}")
        accepted += data["accepted"]
        dup_acks += len(data["duplicates"])
        rejected += len(data["rejected"])
        batches += 1
    connection.close()
    return {"latencies": latencies, "accepted": accepted, "duplicates": dup_acks, "rejected": rejected,
            "cpu": time.process_time() - cpu_started}


def setup_tenant() -> tuple[int, str]:
    from billing import tenancy
    from billing.services import account_create, api_key_create
    from metering.services import billable_metric_create

    with tenancy.operator_scope():
        account = account_create(name="Bench Corp", external_id="bench")
        billable_metric_create(code="llm_tokens", name="LLM tokens", aggregation="sum", field_name="tokens",
                               group_by=["model"])
        key = api_key_create(name="bench", scopes=["usage:write"]).secret
    return account.pk, key


def stored_events(account_id: int) -> int:
    from django.db import connection

    from billing import tenancy

    with tenancy.operator_scope(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM metering_usageevent WHERE account_id = %s", [account_id])
        return cursor.fetchone()[0]


def copy_baseline(env: dict, account_id: int, rows: int) -> float:
    """Rows per second of a raw COPY of the same events into an identical table (owner role, no RLS)."""
    import psycopg

    from metering.storage import create_sql

    now = datetime.now(UTC)
    table = "bench_copy_usageevent"
    day = now.date()
    prepared = []
    for batch in range(rows // BATCH):
        for event in make_events(99, batch, 0, account_id, now):
            prepared.append((account_id, 1, datetime.fromisoformat(event["timestamp"]), event["idempotency_key"],
                             None, msgspec.json.encode(event["properties"]).decode()))
    with psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(create_sql(table))
        for offset in (-1, 0, 1):
            d = day + timedelta(days=offset)
            conn.execute(f"CREATE TABLE {table}_p{d:%Y%m%d} PARTITION OF {table} "
                         f"FOR VALUES FROM ('{d}') TO ('{d + timedelta(days=1)}')")
        started = time.perf_counter()
        cpu_before = time.process_time() + postgres_cpu_seconds()
        with conn.cursor() as cursor:
            for start in range(0, len(prepared), BATCH):
                with conn.transaction(), cursor.copy(
                        f'COPY {table} (account_id, metric_id, "timestamp", idempotency_key, value, properties) '
                        "FROM STDIN") as copy:
                    for row in prepared[start:start + BATCH]:
                        copy.write_row(row)
        elapsed = time.perf_counter() - started
        BASELINE_CPU_MS_PER_BATCH.append((time.process_time() + postgres_cpu_seconds() - cpu_before)
                                         * 1000 * BATCH / len(prepared))
        conn.execute(f"DROP TABLE {table}")
    return len(prepared) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))
    parser.add_argument("--duplicates", type=float, default=0.0, help="share of each batch repeating sent keys")
    parser.add_argument("--copy-rows", type=int, default=200_000)
    options = parser.parse_args()

    with throwaway_database("bench_ingest") as env:
        django_setup(env)
        account_id, key = setup_tenant()
        copy_before = copy_baseline(env, account_id, options.copy_rows)
        with web_server(env, workers=options.workers) as url:
            warmup = (0, url, key, account_id, 2, 0.0)
            warm = client_loop(warmup)  # first requests of each worker: imports, connections
            started = time.perf_counter()
            server_before, postgres_before = server_cpu_by_process(url), postgres_cpu_seconds()
            machine_before = machine_cpu_ticks()
            with multiprocessing.get_context("fork").Pool(options.clients) as pool:
                results = pool.map(client_loop, [(c + 1, url, key, account_id, options.seconds, options.duplicates)
                                                 for c in range(options.clients)])
            elapsed = time.perf_counter() - started
            machine = machine_shares(machine_before, machine_cpu_ticks())
            server_after, cpu_postgres = server_cpu_by_process(url), postgres_cpu_seconds() - postgres_before
            workers = worker_shares(server_before, server_after)
            cpu_server = sum(server_after.values()) - sum(server_before.values())
        latencies = [ms for r in results for ms in r["latencies"]]
        accepted = sum(r["accepted"] for r in results)
        duplicates = sum(r["duplicates"] for r in results)
        rejected = sum(r["rejected"] for r in results)
        stored = stored_events(account_id) - warm["accepted"]
        copy_after = copy_baseline(env, account_id, options.copy_rows)
    copy_rate = max(copy_before, copy_after)  # the faster baseline: the machine is shared, load varies

    rate = (accepted + duplicates) / elapsed
    print(f"server: granian config.wsgi, {options.workers} workers; {options.clients} client processes; "
          f"{len(latencies)} batches of {BATCH} in {elapsed:.1f} s; duplicates {options.duplicates:.0%}")
    print(f"events: {accepted} accepted, {duplicates} duplicates acknowledged, {rejected} rejected; "
          f"stored {stored} (exactly once: {stored == accepted})")
    print(f"throughput: {rate:,.0f} events/s ({accepted / elapsed:,.0f} accepted/s)")
    print(f"latency per batch: p50 {percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms")
    per_batch = 1000 / max(1, len(latencies))
    print(f"CPU per batch: web server {cpu_server * per_batch:.1f} ms, PostgreSQL {cpu_postgres * per_batch:.1f} ms, "
          f"clients {sum(r['cpu'] for r in results) * per_batch:.1f} ms (machine: {os.cpu_count()} cores); "
          f"raw COPY: {min(BASELINE_CPU_MS_PER_BATCH):.1f} ms per 1,000 rows (client and PostgreSQL)")
    print(f"machine during the HTTP run: {machine}; web server CPU by process: {workers}")
    print(f"baseline: raw COPY {copy_rate:,.0f} rows/s (one connection, same rows, identical table; "
          f"the faster of {copy_before:,.0f} before and {copy_after:,.0f} after the HTTP run)")
    print(f"ingest: {rate:.0f} events/s, ratio to COPY {rate / copy_rate:.2f}, p99 {percentile(latencies, 99):.0f} ms")


if __name__ == "__main__":
    main()
