"""The console's pages with a year of data: server time (p50, p95) and queries per page, against /health/live.

    .venv/bin/python bench/console.py [--events 3000000] [--requests 200] [--workers 2]

On a throwaway database, one account has been subscribed for a year to a monthly plan charging two metrics
(`api_calls`, and `llm_tokens` grouped by model) with limits: `--events` usage events spread over the year
are loaded with `COPY` (as bench/usage_reads.py loads them, received as one backlog) and folded into rollups
by the rollup job, then
each month is billed by the renewal (12 finalized invoices with usage lines, all paid but the last, which
is open). The account has six members, two pending invitations, three API keys and two cards.

The web server is started the way `make run` starts it (granian, `config.wsgi`, several worker processes,
DEBUG off); a signed-in owner's session reads each page `--requests` times, one after another on a
keep-alive connection, after a warm-up. The time is the client's, over loopback: the server's time plus a
round trip that `/health/live` (no database, no template), timed the same way in the same run, shows.
Queries: each page read once more in this process through Django's test client, counting statements
(tests/console/test_query_counts.py checks they do not grow with the rows shown).

One line per page: `console: <page> p50 <MS> ms, p95 <MS> ms, <N> queries; <R>x /health/live p50`.
It asserts nothing.
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

OWNER, PASSWORD = "bench-owner", "bench-owner-pass-1"


def setup_account() -> dict:
    """The account, its plan and subscription (a year old), people, invitations, keys and cards."""
    from django.contrib.auth import get_user_model

    from billing import tenancy
    from billing.services import (
        account_create,
        api_key_create,
        billing_profile_update,
        invitation_create,
        membership_add,
        plan_create,
        subscription_create,
    )
    from metering.services import billable_metric_create
    from payments.models import PaymentMethod

    users = get_user_model().objects
    with tenancy.operator_scope():
        account = account_create(name="Bench Corp", external_id="bench")
        billing_profile_update(account=account, legal_name="Bench Corp Ltd", email="billing@bench.example",
                               address_line1="1 Bench Street", city="London", postal_code="EC1A 1BB",
                               country="GB", currency="USD")
        calls = billable_metric_create(code="api_calls", name="API calls", unit="calls")
        tokens = billable_metric_create(code="llm_tokens", name="LLM tokens", unit="tokens", aggregation="sum",
                                        field_name="tokens", group_by=["model"])
        plan = plan_create(
            code="bench", name="Bench", prices={"USD": {"flat_amount": 4900, "seat_amount": None}},
            charges=[{"metric": "api_calls", "currency": "USD", "unit_price": "0.0001"},
                     {"metric": "llm_tokens", "currency": "USD", "unit_price": "0.000002"}],
            limits=[{"metric": "api_calls", "included": 200_000, "cap_mode": "soft"},
                    {"metric": "llm_tokens", "included": 100_000_000, "cap_mode": "soft"}])
        start = datetime.now(UTC) - timedelta(days=366, hours=5, minutes=7)
        subscription = subscription_create(account=account, plan=plan, start_at=start)
        owner = users.create_user(OWNER, "owner@bench.example", PASSWORD)
        membership_add(account=account, user=owner, role="owner")
        for n, role in enumerate(["owner", "billing_manager", "billing_manager", "viewer", "viewer"]):
            membership_add(account=account, user=users.create_user(f"bench-{n}", f"p{n}@bench.example", "x"),
                           role=role)
        for n in range(2):
            invitation_create(account=account, email=f"invited{n}@bench.example", role="viewer")
        for n in range(3):
            api_key_create(name=f"service {n}", scopes=["usage:write", "usage:read"], account=account)
        for n, last4 in enumerate(["4242", "5555"]):
            PaymentMethod.objects.create(account=account, gateway="stripe", gateway_id=f"pm_bench_{n}", type="card",
                                         brand="visa", last4=last4, exp_month=12, exp_year=2030, is_default=n == 0)
    return {"account_id": account.pk, "metrics": (calls.pk, tokens.pk), "subscription_id": subscription.pk,
            "start": subscription.current_period_start, "owner": owner}


def bill_the_year(subscription_id: int) -> list[int]:
    """Each ended month billed by the renewal and finalized; all paid but the last. The invoices' ids."""
    from billing import tenancy
    from billing.models import Subscription
    from invoicing.services import invoice_finalize
    from invoicing.services.subscriptions import subscription_bill_renewal
    from invoicing.services.transitions import invoice_mark_paid

    invoices = []
    with tenancy.operator_scope():
        while True:
            subscription = Subscription.objects.get(pk=subscription_id)
            if subscription.current_period_end > datetime.now(UTC):
                break
            draft = subscription_bill_renewal(subscription_id=subscription_id, at=subscription.current_period_end)
            if draft is not None:
                invoices.append(invoice_finalize(invoice=draft))
        for invoice in invoices[:-1]:
            if invoice.amount_due:
                invoice_mark_paid(invoice=invoice, reference=f"BENCH-{invoice.pk}")
    return [invoice.pk for invoice in invoices]


def owner_session(owner) -> str:
    """A signed-in session of the owner, as the sign-in form would store it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(owner.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    session.create()
    return session.session_key


class Browser:
    def __init__(self, url: str, session_key: str):
        parts = urlparse(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"Cookie": f"sessionid={session_key}", "Accept-Language": "en"}

    def get(self, path: str) -> tuple[int, float]:
        began = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        answer = self.conn.getresponse()
        answer.read()
        return answer.status, (time.perf_counter() - began) * 1000


def timed(browser: Browser, path: str, requests: int) -> list[float]:
    for _ in range(10):  # warm-up: the worker's connection, caches, templates
        status, _ = browser.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
    return [browser.get(path)[1] for _ in range(requests)]


def queries_of(owner, path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3_000_000, help="usage events over the year")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
    options = parser.parse_args()

    with throwaway_database("bench_console") as env:
        django_setup(env)
        from bench.usage_reads import load_events, roll_up

        world = setup_account()
        # Received as one backlog (offset > 0 in load_events): the rollup job folds it in one step of receipt
        # time instead of walking a year in its 6-hour steps; the rollups, by event time, are the same.
        loaded = load_events(env, world["account_id"], world["metrics"], world["start"], options.events, 1)
        folded, runs = roll_up()
        invoices = bill_the_year(world["subscription_id"])
        from django.db import connection

        from billing import tenancy

        with tenancy.operator_scope(), connection.cursor() as cursor:
            cursor.execute("SELECT granularity, count(*) FROM metering_usagerollup GROUP BY 1 ORDER BY 1")
            rollups = ", ".join(f"{count:,} {granularity}" for granularity, count in cursor.fetchall())
        print(f"{options.events:,} events loaded in {loaded:.0f} s, folded in {folded:.0f} s ({runs} runs, "
              f"rollup rows: {rollups}); {len(invoices)} invoices", flush=True)
        pages = {"/health/live": "/health/live", "overview": "/console/", "usage": "/console/usage/",
                 "invoices": "/console/invoices/", "invoice detail": f"/console/invoices/{invoices[-1]}/",
                 "upcoming": "/console/invoices/upcoming/", "payment methods": "/console/payment-methods/",
                 "api keys": "/console/api-keys/", "members": "/console/members/"}
        counts = {name: queries_of(world["owner"], path) for name, path in pages.items()}
        session_key = owner_session(world["owner"])
        with web_server(env, workers=options.workers) as url:
            browser = Browser(url, session_key)
            times = {name: timed(browser, path, options.requests) for name, path in pages.items()}
            browser.conn.close()

    base = percentile(times["/health/live"], 50)
    for name, values in times.items():
        print(f"console: {name} p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
              f"{counts[name]} queries; {percentile(values, 50) / base:.1f}x /health/live p50", flush=True)


if __name__ == "__main__":
    main()
