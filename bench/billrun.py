"""Bill-run throughput: generate and finalize invoices for subscriptions with three usage metrics.

    .venv/bin/python bench/billrun.py [--subscriptions 100000] [--pdfs 20]

Builds a throwaway database (created as the owner role, used as the application role
with row-level security, like the test suite), with two cohorts of N subscriptions on
a plan with a flat fee, seats and three usage metrics, and usage events for each. Then:

1. one worker process bills and finalizes cohort A (the code a Celery worker runs for
   `invoicing.bill_run_chunk` and, per chunk of drafts, `invoicing.finalize_due`, called directly in the
   process: no broker in between), and two worker processes do cohort B;
2. the baseline: a plain `INSERT ... SELECT` copying the same invoice and line rows into
   identical tables, timed in the same run;
3. PDFs rendered one by one (excluded from the throughput above): the median.

Prints invoices/s with one and with two workers and the ratio of the bill run's time to
the INSERT's (how many times slower than merely writing the rows). The last line reads
`billrun: <N> invoices/s, <COUNT> invoices in <S> s, ratio to INSERT <R>` (two workers).
A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402

from billing import clock, tenancy  # noqa: E402
from config.celery import app as celery_app  # noqa: E402

# Queued tasks (outbox delivery, PDFs) go to an in-memory broker nobody reads: not run here.
celery_app.conf.task_always_eager = False

CHUNK = 200
METRICS = (("api_calls", "count"), ("storage_gb", "max"), ("llm_tokens", "sum"))


def use_role(alias_settings: dict) -> None:
    default = connections["default"]
    default.close()
    default.settings_dict["USER"] = alias_settings["USER"]
    default.settings_dict["PASSWORD"] = alias_settings["PASSWORD"]


def create_database():
    from django.test.utils import setup_databases

    connections["default"].settings_dict["TEST"]["NAME"] = f"bench_billrun_{os.getpid()}"
    app = {k: settings.DATABASES["default"][k] for k in ("USER", "PASSWORD")}
    owner = {k: settings.DATABASES["owner"][k] for k in ("USER", "PASSWORD")}
    use_role(owner)
    config = setup_databases(verbosity=0, interactive=False, keepdb=False, aliases={"default"})
    use_role(app)
    return config, app, owner


def drop_database(config, app, owner) -> None:
    from django.test.utils import teardown_databases

    connections.close_all()
    use_role(owner)
    teardown_databases(config, verbosity=0)
    use_role(app)


def build(sizes: tuple[int, int], start: datetime) -> tuple[list[int], list[int]]:
    """Two cohorts of subscriptions (sizes), each with usage on the three metrics; made by two processes."""
    from billing.models import BillableMetric
    from billing.services import plan_create

    for code, aggregation in METRICS:
        BillableMetric.objects.create(code=code, name=code, aggregation=aggregation)
    charges = [
        {"metric": "api_calls", "currency": "USD", "model": "graduated",
         "tiers": [{"up_to": 1000, "unit_price": "0.01", "flat_fee": 0},
                   {"up_to": None, "unit_price": "0.005", "flat_fee": 0}]},
        {"metric": "storage_gb", "currency": "USD", "model": "standard", "unit_price": "0.50", "free_units": 10},
        {"metric": "llm_tokens", "currency": "USD", "model": "package", "unit_price": "2", "package_size": 1000},
    ]
    plan = plan_create(code="bench", name="Bench", prices={"USD": {"flat_amount": 4900, "seat_amount": 900}},
                       included_seats=3, charges=charges)
    total = sum(sizes)
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.map(build_part, [(plan.pk, start, range(i, total, 2)) for i in range(2)])
    subs = sorted(s for part in parts for s in part)
    return subs[:sizes[0]], subs[sizes[0]:]


def build_part(args) -> list[int]:
    """One setup process: accounts, subscriptions and their events, through the services."""
    plan_id, start, numbers = args
    from billing.models import Plan
    from billing.services import account_create, subscription_create
    from metering.ingest.decode import EventIn
    from metering.services.ingestion import usage_events_record

    connections.close_all()
    plan = Plan.objects.get(pk=plan_id)
    ids = []
    with clock.frozen(start):
        for i in numbers:
            account = account_create(name=f"Bench {i}", external_id=f"bench-{i}")
            ids.append((account.pk, subscription_create(account=account, plan=plan, quantity=5).pk))
    events = []
    at = start + timedelta(days=3)
    with clock.frozen(at + timedelta(minutes=1)):
        for account_id, _ in ids:
            events += [
                EventIn(metric="api_calls", idempotency_key=f"c{account_id}", timestamp=at, account_id=account_id),
                EventIn(metric="storage_gb", idempotency_key=f"s{account_id}", timestamp=at, value=Decimal(42),
                        account_id=account_id),
                EventIn(metric="llm_tokens", idempotency_key=f"t{account_id}", timestamp=at,
                        value=Decimal(123_456), account_id=account_id),
            ]
            if len(events) >= 999:
                usage_events_record(events=events, update_counters=False)
                events = []
        if events:
            usage_events_record(events=events, update_counters=False)
    connections.close_all()
    return [s for _, s in ids]


def analyze(owner: dict) -> None:
    """Fresh statistics after the bulk setup, as autovacuum would give a live database (owner role)."""
    import psycopg

    database = connections["default"].settings_dict
    with psycopg.connect(host=database["HOST"], port=database["PORT"], dbname=database["NAME"],
                         user=owner["USER"], password=owner["PASSWORD"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def work(args) -> int:
    """One worker process: bill a list of chunks, then finalize the drafts still due (with no grace
    period the chunks finalize their renewals in the same pass: none are left). Returns the number
    of renewal invoices of these subscriptions now finalized."""
    subscription_ids, billing_time = args
    from invoicing.models import BillRun, Invoice, InvoiceStatus
    from invoicing.services.bill_runs import bill_run_chunk_process
    from invoicing.services.finalize_bulk import invoices_finalize_many

    connections.close_all()
    with tenancy.operator_scope(), clock.frozen(billing_time):
        run = BillRun.objects.order_by("-id").first()
        for i in range(0, len(subscription_ids), CHUNK):
            bill_run_chunk_process(run_id=run.pk, subscription_ids=subscription_ids[i:i + CHUNK], at=billing_time)
        drafts = list(Invoice.objects.filter(subscription_id__in=subscription_ids, status=InvoiceStatus.DRAFT,
                                             finalize_after__lte=billing_time)
                      .order_by("id").values_list("id", flat=True))
        for i in range(0, len(drafts), CHUNK):  # a chunk per transaction, as invoices_finalize_due does
            invoices_finalize_many(invoice_ids=drafts[i:i + CHUNK])
        made = (Invoice.objects.filter(subscription_id__in=subscription_ids, billing_reason="subscription_cycle")
                .exclude(status=InvoiceStatus.DRAFT).count())
    connections.close_all()
    return made


def bill(cohort: list[int], workers: int, billing_time: datetime) -> tuple[int, float]:
    from invoicing.models import BillRun

    BillRun.objects.create(started_at=billing_time, billing_time=billing_time, subscriptions_due=len(cohort),
                           chunks=(len(cohort) + CHUNK - 1) // CHUNK)
    shares = [cohort[i::workers] for i in range(workers)]
    connections.close_all()
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        made = sum(pool.map(work, [(share, billing_time) for share in shares]))
    return made, time.perf_counter() - began


def insert_baseline(cohort: list[int]) -> float:
    """The same invoice and line rows, copied by one INSERT ... SELECT each into identical tables."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_invoice (LIKE invoicing_invoice INCLUDING DEFAULTS)")
        cursor.execute("CREATE TEMP TABLE bench_line (LIKE invoicing_invoiceline INCLUDING DEFAULTS)")
        began = time.perf_counter()
        cursor.execute("INSERT INTO bench_invoice SELECT * FROM invoicing_invoice WHERE subscription_id = ANY(%s)",
                       [cohort])
        cursor.execute("INSERT INTO bench_line SELECT l.* FROM invoicing_invoiceline l JOIN invoicing_invoice i "
                       "ON i.id = l.invoice_id WHERE i.subscription_id = ANY(%s)", [cohort])
        return time.perf_counter() - began


def pdf_median_ms(count: int) -> float:
    from invoicing.documents.render import invoice_pdf
    from invoicing.models import Invoice

    timings = []
    for invoice in Invoice.objects.exclude(status="draft").order_by("id")[:count]:
        began = time.perf_counter()
        invoice_pdf(invoice)
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings) if timings else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000,
                        help="the two-worker cohort (and the one-worker cohort unless set below)")
    parser.add_argument("--one-worker-subscriptions", type=int, default=None,
                        help="a smaller one-worker cohort keeps the setup of a 100,000 run shorter")
    parser.add_argument("--pdfs", type=int, default=20)
    options = parser.parse_args()
    sizes = (options.one_worker_subscriptions or options.subscriptions, options.subscriptions)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=32)
    config, app, owner = create_database()
    try:
        with tenancy.operator_scope():
            began = time.perf_counter()
            cohort_a, cohort_b = build(sizes, start)
            analyze(owner)
            print(f"setup: {sum(sizes)} subscriptions with 3 metrics each in {time.perf_counter() - began:.1f} s")
            billing_time = cohort_time = None
            from billing.models import Subscription

            cohort_time = Subscription.objects.get(pk=cohort_a[0]).current_period_end
            billing_time = cohort_time + timedelta(minutes=5)
            # The grace period is over at finalization in this benchmark: billed and finalized in one go.
            settings.INVOICE_GRACE_PERIOD_SECONDS = 0
            one, one_s = bill(cohort_a, 1, billing_time)
            print(f"1 worker:  {one / one_s:.0f} invoices/s ({one} invoices in {one_s:.1f} s)")
            two, two_s = bill(cohort_b, 2, billing_time)
            print(f"2 workers: {two / two_s:.0f} invoices/s ({two} invoices in {two_s:.1f} s)")
            insert_s = insert_baseline(cohort_b)
            print(f"baseline: INSERT ... SELECT of the same invoice and line rows in {insert_s * 1000:.0f} ms")
            print(f"pdf: median {pdf_median_ms(options.pdfs):.0f} ms over {options.pdfs} invoices")
            print(f"billrun: {two / two_s:.0f} invoices/s, {two} invoices in {two_s:.1f} s, "
                  f"ratio to INSERT {two_s / insert_s:.0f}")
    finally:
        drop_database(config, app, owner)


if __name__ == "__main__":
    main()
