"""The console's overview: plan and period, what is due now, the next invoice, usage, and every banner
that applies, told truly (110% is 110%), for each role and never across accounts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import clock, tenancy
from tests.console_world import page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["owner", "billing_manager", "viewer"])
def test_every_role_reads_plan_period_due_next_invoice_and_usage(world, role):  # noqa: F811
    response = signed_in(world.user(role)).get("/console/")
    assert response.status_code == 200
    text = page_text(response)
    days_left = (world.subscription.current_period_end - clock.now()).days
    assert "Scale" in text and "Active" in text and f"{days_left} days" in text
    assert "Amount due now $250.00" in text
    assert "Next invoice $49.00" in text
    assert "LLM tokens 110%" in text and "1,100,000 of 1,000,000 tokens" in text
    assert "API calls 80%" in text and "Data exports Unlimited" in text


def test_the_usage_banner_tells_the_percentage_used_now_not_the_threshold_passed(world):  # noqa: F811
    text = page_text(signed_in(world.owner).get("/console/"))
    assert "LLM tokens: 110% of the 1,000,000 included this period reached" in text
    assert "100% of the 1,000,000" not in text


def test_an_overdue_invoice_is_told_with_a_pay_link_for_those_who_may_pay(world):  # noqa: F811
    number = world.open_invoice.number
    for role in ("owner", "billing_manager"):
        text = page_text(signed_in(world.user(role)).get("/console/"))
        assert f"Invoice {number} ($250.00) was due on" in text and "is overdue. Pay it now" in text
        assert f"Pay invoice {number}" in text
    viewer = page_text(signed_in(world.viewer).get("/console/"))
    assert "is overdue. See the invoice" in viewer and "Pay invoice" not in viewer and "Pay it now" not in viewer


def test_a_failed_payment_is_told_with_a_link_to_fix_the_card(world):  # noqa: F811
    from payments.models import Payment

    with tenancy.operator_scope():
        Payment.objects.create(account=world.acme, invoice=world.open_invoice, amount=25_000, currency="USD",
                               gateway="sandbox", reference="pay-failed-1", attempt=1, status="failed",
                               failure_message="Your card was declined.", created_at=clock.now())
    response = signed_in(world.manager).get("/console/")
    text = page_text(response)
    assert f"The payment of $250.00 for invoice {world.open_invoice.number} failed. Your card was declined." in text
    assert 'href="/console/payment-methods/">Update your payment method' in response.content.decode()
    assert f'href="/console/invoices/{world.open_invoice.pk}/pay/">Pay it with another card' in response.content.decode()


def test_a_trial_ending_soon_is_told(make_account):
    from django.contrib.auth import get_user_model

    from billing.services import membership_add, subscription_create
    from tests.billing.catalog_factories import plan

    account = make_account("Trial Co")
    user = get_user_model().objects.create_user("trial-owner", password="x")
    with tenancy.operator_scope():
        membership_add(account=account, user=user, role="owner")
        subscription_create(account=account, plan=plan(code="trial-plan"), trial_days=3)
    text = page_text(signed_in(user).get("/console/"))
    assert "Your trial ends on" in text and "Add a card to keep your service" in text and "Trialing" in text


def test_another_accounts_owner_sees_none_of_it(world):  # noqa: F811
    text = page_text(signed_in(world.outsider).get("/console/"))
    assert "Globex Inc" in text and "Acme Corp" not in text
    assert "Scale" not in text and "$250.00" not in text and "LLM tokens: " not in text
    assert "Amount due now $99.00" in text


def test_numbers_and_dates_read_in_the_readers_language(world):  # noqa: F811
    text = page_text(signed_in(world.owner).get("/console/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "250,00\xa0$" in text and "1.100.000" in text and "110\xa0%" in text
    assert re.search(r"\d{1,2}\. \w+ 20\d\d", text)  # a German long date


def _queries(client) -> int:
    # The clock pinned: an unpinned one re-reads its offset once a second, a query that comes and goes.
    with clock.frozen(clock.now()), CaptureQueriesContext(connection) as queries:
        assert client.get("/console/").status_code == 200
    return len(queries)


def test_the_overview_reads_a_fixed_number_of_queries_however_many_invoices(world):  # noqa: F811
    from invoicing.models import CollectionMethod
    from invoicing.services import invoice_finalize
    from tests.invoicing.factories import draft

    client = signed_in(world.owner)
    before = _queries(client)
    with tenancy.operator_scope():
        for i in range(6):
            invoice_finalize(invoice=draft(world.acme, (f"Extra {i}", 1, "10.00"),
                                           collection_method=CollectionMethod.SEND_INVOICE,
                                           ))
    assert _queries(client) == before
    assert "Amount due now $310.00" in page_text(client.get("/console/"))
    assert timedelta(0) < world.subscription.current_period_end - clock.now()
