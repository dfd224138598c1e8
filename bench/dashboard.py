"""The finance dashboard at scale: 100,000 subscriptions and 1,000,000 invoices.

    .venv/bin/python bench/dashboard.py [--subscriptions 100000] [--invoices 1000000] [--requests 50]

On a throwaway database (bench/common.py), accounts, subscriptions (on monthly, quarterly and yearly
plans, in USD and EUR, mostly active, some past due, trialing, paused or canceled) and invoices with one
line each (mostly paid, a tenth open with due dates spread over the last 150 days, a few void) are
written with `INSERT ... SELECT generate_series` as the application role in the operator scope (the
tenant policy applies; PostgreSQL refuses COPY into a table with row-level security), then analyzed.
The snapshot job runs for the last day of the previous month (rebuilt, as the backfill does) and for
today (live), each timed. The web server is started as `make run` starts it and `--requests`
sequential requests of `/admin/dashboard/` (a superuser's session) are timed on a keep-alive
connection after a warm-up, against `/health/live` (the baseline, same run), and the two API reports
of a year.

The last line reads `dashboard: <N> subscriptions, <M> invoices p50 <MS> ms p95 <MS> ms; baseline
/health/live p50 <MS> ms; ratio <R>`. It asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, percentile, throwaway_database, web_server  # noqa: E402

STATUSES = "ARRAY['active','active','active','active','active','active','active','active','active','active'," \
           "'active','active','active','active','active','active','past_due','trialing','paused','canceled']"


def analyze(env: dict, *tables: str) -> None:
    """As autovacuum would (statistics, and the visibility map index-only scans need); as the owner
    (VACUUM and ANALYZE skip tables the application role does not own)."""
    import psycopg

    with psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")


def build(env: dict, subscriptions: int, invoices: int) -> None:
    from django.db import connection

    from billing import tenancy
    from billing.services import plan_create

    with tenancy.operator_scope():
        plans = [plan_create(code=code, name=code.title(), interval=interval, interval_count=count,
                             prices={"USD": {"flat_amount": flat, "seat_amount": 900},
                                     "EUR": {"flat_amount": flat, "seat_amount": 800}}, included_seats=3)
                 for code, interval, count, flat in (("monthly", "month", 1, 4_900),
                                                     ("quarterly", "month", 3, 13_900), ("yearly", "year", 1, 49_000))]
    versions = [(p.pk, p.current_version_id) for p in plans]
    now = datetime.now(UTC)
    with tenancy.operator_scope(), connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO billing_account (name, external_id, is_active, created_at, updated_at)
            SELECT 'Bench ' || n, 'bench-' || n, true, %(now)s, %(now)s FROM generate_series(1, %(n)s) AS n""",
                       {"n": subscriptions, "now": now})
        cursor.execute("SELECT min(id) FROM billing_account")
        first_account = cursor.fetchone()[0]
        cursor.execute(f"""
            INSERT INTO billing_subscription (account_id, plan_id, plan_version_id, currency, quantity, status,
                billing_cycle_anchor, current_period_start, current_period_end, started_at, trial_start, trial_end,
                trial_end_behavior, cancel_at_period_end, cancel_reason, bill_during_pause, metadata, created_at,
                updated_at, ended_at, canceled_at, paused_at)
            SELECT %(first)s + n - 1, (%(plans)s::bigint[])[1 + n %% 3], (%(versions)s::bigint[])[1 + n %% 3],
                   CASE WHEN n %% 5 = 0 THEN 'EUR' ELSE 'USD' END, 1 + n %% 7, s.status,
                   start, %(now)s - interval '10 days', %(now)s + interval '20 days', start,
                   CASE WHEN s.status = 'trialing' THEN %(now)s - interval '3 days' END,
                   CASE WHEN s.status = 'trialing' THEN %(now)s + interval '11 days' END,
                   'incomplete', false, '', false, '{{}}', start, start,
                   CASE WHEN s.status = 'canceled' THEN %(now)s - (n %% 40) * interval '1 day' END,
                   CASE WHEN s.status = 'canceled' THEN %(now)s - (n %% 40) * interval '1 day' END,
                   CASE WHEN s.status = 'paused' THEN %(now)s - interval '5 days' END
            FROM generate_series(1, %(n)s) AS n,
                 LATERAL (SELECT ({STATUSES})[1 + (n * 7) %% 20] AS status,
                                 %(now)s - (n %% 700) * interval '1 day' - interval '1 hour' AS start) AS s""",
                       {"first": first_account, "n": subscriptions, "now": now,
                        "plans": [p for p, _ in versions], "versions": [v for _, v in versions]})
        cursor.execute("""
            INSERT INTO invoicing_invoice (account_id, currency, status, billing_reason, collection_method, series,
                number, period_start, period_end, issue_date, due_date, finalized_at, subtotal, discount_total,
                tax_total, total, credit_applied, credited_total, amount_paid, amount_due, tax_breakdown, tax_note,
                customer_snapshot, operator_snapshot, language, memo, payment_reference, pdf, pdf_etag, pdf_status,
                created_at, updated_at, paid_at)
            SELECT %(first)s + n %% %(accounts)s, CASE WHEN n %% 5 = 0 THEN 'EUR' ELSE 'USD' END, i.status,
                   'subscription_cycle', 'charge_automatically', 'INV', 'INV-B-' || n, i.day, i.day + interval '1 month',
                   i.day::date, i.day::date + 14, i.day, 4900, 0, 0, 4900, 0, 0,
                   CASE WHEN i.status = 'paid' THEN 4900 ELSE 0 END, CASE WHEN i.status = 'open' THEN 4900 ELSE 0 END,
                   '[]', '', '{}', '{}', 'en', '', '', '', '', '', i.day, i.day,
                   CASE WHEN i.status = 'paid' THEN i.day END
            FROM generate_series(1, %(n)s) AS n,
                 LATERAL (SELECT CASE WHEN n %% 10 = 0 THEN 'open' WHEN n %% 50 = 1 THEN 'void' ELSE 'paid' END
                                 AS status,
                                 %(now)s - CASE WHEN n %% 10 = 0 THEN (n %% 150) ELSE (n %% 730) END
                                     * interval '1 day' AS day) AS i""",
                       {"first": first_account, "accounts": subscriptions, "n": invoices, "now": now})
        cursor.execute("""
            INSERT INTO invoicing_invoiceline (account_id, invoice_id, position, kind, description, metric_code,
                group_key, quantity, proration_factor, inputs, amount, discount_amount, tax_name, tax_percentage,
                tax_inclusive, tax_amount, source, period_start, period_end)
            SELECT account_id, id, 0, 'flat', 'Plan', '', '', 1, 1, '{}', total, 0, '', 0, false, 0, '',
                   period_start, period_end
            FROM invoicing_invoice""")
    analyze(env, "billing_account", "billing_subscription", "invoicing_invoice", "invoicing_invoiceline")


def snapshots(env: dict) -> tuple[float, float]:
    from analytics.months import month_start
    from analytics.services import mrr_snapshot_take
    from billing import tenancy

    today = datetime.now(UTC).date()
    with tenancy.operator_scope():
        began = time.monotonic()
        mrr_snapshot_take(day=month_start(today) - timedelta(days=1))
        rebuilt = time.monotonic() - began
        began = time.monotonic()
        mrr_snapshot_take(day=today)
        live = time.monotonic() - began
    analyze(env, "analytics_mrrsnapshot", "analytics_mrrmonth", "analytics_snapshotday")
    return rebuilt, live


def session_and_key() -> tuple[str, str]:
    """A superuser's session cookie and an operator key."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    from billing import tenancy
    from billing.services import api_key_create

    user = get_user_model().objects.create_superuser("bench", password="bench-password-1")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    with tenancy.operator_scope():
        secret = api_key_create(name="bench", scopes=["billing:read"]).secret
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}", secret


def timed(url: str, path: str, headers: dict, requests: int, warmup: int = 5) -> list[float]:
    parts = urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    took = []
    for n in range(warmup + requests):
        began = time.perf_counter()
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: {answer.status} {body[:300]!r}")
        if n >= warmup:
            took.append((time.perf_counter() - began) * 1000)
    conn.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
    options = parser.parse_args()
    with throwaway_database("bench_dashboard") as env:
        django_setup(env)
        began = time.monotonic()
        build(env, options.subscriptions, options.invoices)
        print(f"built {options.subscriptions:,} subscriptions and {options.invoices:,} invoices in "
              f"{time.monotonic() - began:.0f} s", flush=True)
        rebuilt, live = snapshots(env)
        print(f"snapshot job: last month's end (rebuilt) {rebuilt:.1f} s, today (live) {live:.1f} s", flush=True)
        cookie, secret = session_and_key()
        year = datetime.now(UTC).date()
        query = f"currency=USD&from={year.year - 1}-{year.month:02}&to={year:%Y-%m}"
        with web_server(env, workers=options.workers) as url:
            baseline = timed(url, "/health/live", {}, options.requests * 4)
            index = timed(url, "/admin/", {"Cookie": cookie}, options.requests)
            dashboard = timed(url, "/admin/dashboard/", {"Cookie": cookie}, options.requests)
            api = {path: timed(url, f"/api/v1/analytics/{path}?{query}", {"Authorization": f"Bearer {secret}"},
                               max(5, options.requests // 5), warmup=1)
                   for path in ("mrr", "revenue-recognition")}
    for path, values in api.items():
        print(f"/api/v1/analytics/{path} (12 months): p50 {percentile(values, 50):.1f} ms, "
              f"p95 {percentile(values, 95):.1f} ms")
    print(f"/admin/ (the admin's own index, for its chrome): p50 {percentile(index, 50):.1f} ms")
    base, p50, p95 = percentile(baseline, 50), percentile(dashboard, 50), percentile(dashboard, 95)
    print(f"dashboard: {options.subscriptions:,} subscriptions, {options.invoices:,} invoices p50 {p50:.1f} ms "
          f"p95 {p95:.1f} ms; baseline /health/live p50 {base:.1f} ms; ratio {p50 / base:.1f}")


if __name__ == "__main__":
    main()
