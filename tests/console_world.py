"""One customer account as the console's pages show it, for the test-client and the browser tests alike.

Acme Corp is on the "Scale" plan since 32 days: a flat fee, LLM tokens with 1,000,000 included and then
$0.02 per 1,000 tokens (grouped by model), API calls with 100 included, and unlimited exports. Its last
period's invoice was billed from real usage (a usage line priced per block) and paid with a $10 credit
and a payment; a one-off invoice is open and past due. This period it has used 1,100,000 tokens (110%)
and 80 API calls (80%). Its people: an owner, a billing manager and a viewer. Globex Inc, another
account, has an invoice of its own and an owner who must never see Acme's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import clock, tenancy
from billing.services import account_create, membership_add

PASSWORD = "console-pass-1"


@dataclass
class World:
    acme: object
    globex: object
    owner: object
    manager: object
    viewer: object
    outsider: object
    subscription: object
    billed: object  # last period's invoice: usage line, credit applied, paid
    open_invoice: object  # one-off, open, past due
    other_invoice: object  # Globex's

    def user(self, role: str):
        return {"owner": self.owner, "billing_manager": self.manager, "viewer": self.viewer}[role]


def _metrics():
    from billing.models import BillableMetric

    tokens = BillableMetric.objects.create(code="llm_tokens", name="LLM tokens", unit="tokens", aggregation="sum",
                                           field_name="tokens", group_by=["model"])
    calls = BillableMetric.objects.create(code="api_calls", name="API calls", unit="calls", aggregation="count")
    exports = BillableMetric.objects.create(code="exports", name="Data exports", unit="exports", aggregation="count")
    return tokens, calls, exports


def _usage(account, prefix: str, at, tokens_by_model: dict, calls: int, exports: int = 0):
    from metering.ingest.decode import EventIn
    from metering.services import usage_events_record

    events = [EventIn(metric="llm_tokens", idempotency_key=f"{prefix}-t-{model}", account_id=account.pk,
                      timestamp=at, properties={"tokens": tokens, "model": model})
              for model, tokens in tokens_by_model.items()]
    events += [EventIn(metric="api_calls", idempotency_key=f"{prefix}-c-{i}", account_id=account.pk, timestamp=at)
               for i in range(calls)]
    events += [EventIn(metric="exports", idempotency_key=f"{prefix}-e-{i}", account_id=account.pk, timestamp=at)
               for i in range(exports)]
    usage_events_record(events=events)


def build_world() -> World:
    from billing.services import credit_grant, subscription_create
    from invoicing.models import CollectionMethod
    from invoicing.services import invoice_finalize
    from invoicing.services.subscriptions import subscription_bill_renewal
    from invoicing.services.transitions import invoice_mark_paid
    from tests.billing.catalog_factories import plan
    from tests.invoicing.factories import draft, profile

    users = get_user_model().objects
    owner = users.create_user("alice", "alice@example.com", PASSWORD)
    manager = users.create_user("bea", "bea@example.com", PASSWORD)
    viewer = users.create_user("victor", "victor@example.com", PASSWORD)
    outsider = users.create_user("bob", "bob@example.com", PASSWORD)
    now = clock.now()
    with tenancy.operator_scope():
        acme = account_create(name="Acme Corp", external_id="acme")
        globex = account_create(name="Globex Inc", external_id="globex")
        for user, role in ((owner, "owner"), (manager, "billing_manager"), (viewer, "viewer")):
            membership_add(account=acme, user=user, role=role)
        membership_add(account=globex, user=outsider, role="owner")
        profile(acme, country="US", currency="USD")
        profile(globex, country="US", currency="USD")
        _metrics()
        scale = plan(code="scale", flat=4_900, charges=[
            {"metric": "llm_tokens", "currency": "USD", "model": "standard", "unit_price": "0.02",
             "block_size": 1000, "free_units": 1_000_000}],
            limits=[{"metric": "llm_tokens", "included": 1_000_000, "cap_mode": "soft"},
                    {"metric": "api_calls", "included": 100, "cap_mode": "soft"},
                    {"metric": "exports", "included": -1}])
        subscription = subscription_create(account=acme, plan=scale, start_at=now - timedelta(days=32))
        _usage(acme, "last", subscription.current_period_start + timedelta(days=2),
               {"large": 1_200_000, "small": 300_000}, calls=12)
        credit_grant(account=acme, amount=1_000, currency="USD", reason="Welcome credit")
        billed = invoice_finalize(invoice=subscription_bill_renewal(subscription_id=subscription.pk, at=now))
        if billed.amount_due:
            billed = invoice_mark_paid(invoice=billed, reference="TRANSFER-0042")
        subscription.refresh_from_db()
        _usage(acme, "now", max(subscription.current_period_start, now - timedelta(hours=1)),
               {"large": 800_000, "small": 300_000}, calls=80, exports=3)
        from metering.services.alerts import usage_alerts_evaluate

        usage_alerts_evaluate(account_id=acme.pk)
        open_invoice = invoice_finalize(invoice=draft(acme, ("Onboarding workshop", 1, "250.00"),
                                                      collection_method=CollectionMethod.SEND_INVOICE))
        from invoicing.models import Invoice

        Invoice.objects.filter(pk=open_invoice.pk).update(due_date=now.date() - timedelta(days=3))
        open_invoice.refresh_from_db()
        other = invoice_finalize(invoice=draft(globex, ("Globex consulting", 1, "99.00"),
                                               collection_method=CollectionMethod.SEND_INVOICE))
    return World(acme, globex, owner, manager, viewer, outsider, subscription, billed, open_invoice, other)


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)  # PDFs
    return build_world()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(response) -> str:
    """What a person reads on the page: the body's text, without tags, attributes or the head."""
    html = response.content.decode()
    html = re.sub(r"(?s)<head>.*?</head>", "", html)
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()  # keeps no-break spaces
