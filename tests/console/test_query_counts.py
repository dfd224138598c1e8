"""No console page reads one more query per row it shows: each page's query count is the same with the
account's world as it is (tests/console_world.py) and with many more invoices, invoice lines, members,
pending invitations, API keys and payment methods (the page of an invoice: with 3 lines and with 30). bench/console.py measures the same pages' time."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import tenancy
from tests.console_world import signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db

MORE = 5


def pages(invoice_id: int) -> dict[str, str]:
    return {"overview": "/console/", "usage": "/console/usage/", "invoices": "/console/invoices/",
            "open invoices": "/console/invoices/?status=open",
            "invoice detail": f"/console/invoices/{invoice_id}/", "upcoming": "/console/invoices/upcoming/",
            "payment methods": "/console/payment-methods/", "api keys": "/console/api-keys/",
            "members": "/console/members/"}


def counts(client, invoice_id: int) -> dict[str, int]:
    found = {}
    for name, url in pages(invoice_id).items():
        client.get(url)  # the first read warms per-process caches (settings, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        # The billing clock's offset is re-read when its per-process cache lapses (billing/clock.py), at
        # whatever request that happens: time, not rows, decides it.
        found[name] = len([q for q in queries.captured_queries if "billing_simulatedclock" not in q["sql"]])
    return found


def grow(world, lines: int) -> int:  # noqa: F811
    """More of every row the pages list; returns an invoice of many lines, for the detail page."""
    from billing.services import api_key_create, invitation_create, membership_add
    from invoicing.models import CollectionMethod
    from invoicing.services import invoice_finalize
    from payments.models import PaymentMethod
    from tests.invoicing.factories import draft

    users = get_user_model().objects
    with tenancy.operator_scope():
        for i in range(lines, lines + MORE):
            invoice_finalize(invoice=draft(world.acme, *[(f"Extra {i}.{n}", 1, "10.00") for n in range(3)],
                                           collection_method=CollectionMethod.SEND_INVOICE))
            membership_add(account=world.acme, user=users.create_user(f"extra{i}", f"extra{i}@example.com", "x"),
                           role="viewer")
            invitation_create(account=world.acme, email=f"invited{i}@example.com", role="viewer")
            api_key_create(name=f"key {i}", scopes=["usage:write"], account=world.acme)
            PaymentMethod.objects.create(account=world.acme, gateway="stripe", gateway_id=f"pm_extra_{i}",
                                         type="card", brand="visa", last4=f"{4240 + i}", exp_month=12, exp_year=2030)
        long = invoice_finalize(invoice=draft(world.acme, *[(f"Line {n}", 1, "1.00") for n in range(lines)],
                                              collection_method=CollectionMethod.SEND_INVOICE))
    return long.pk


def test_no_console_page_reads_a_query_per_row(world):  # noqa: F811
    client = signed_in(world.owner)
    # Measured once the world has a few more of each row (so the first page of a list is full and its
    # pager shows), then with more again: a page that reads per row differs by MORE queries or more.
    before = counts(client, grow(world, lines=3))
    after = counts(client, grow(world, lines=30))
    grown = {name: (before[name], after[name]) for name in before if after[name] != before[name]}
    assert not grown, f"pages whose query count grew with the rows they show (before, after): {grown}"
