"""A year of collections played on the billing clock, in `advance_clock --step 2d --run-jobs` steps (the clock
moved two days, then every beat job once; daily steps took twice as long and found the same): an account with no card (Globex), one whose card asks for 3-D Secure
that is never completed, and one that pays by bank transfer five days late. What each ends with: invoices,
dunning cases and their causes, reminders and their emails (each once), overdue states and their events."""

from collections import Counter
from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.jobs import run_periodic_jobs
from billing.models import AccountStanding, OutboxEvent, Subscription
from billing.services import billing_profile_update, subscription_create
from invoicing.models import Invoice, InvoiceReminder, SentEmail
from invoicing.services import invoice_mark_paid
from payments.models import DunningCase, Payment
from tests.billing.catalog_factories import plan
from tests.invoicing.factories import profile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _forget_the_offset():
    yield
    clock.invalidate()


STEP = 2  # days


def advance_a_step():
    """What `manage.py advance_clock 2d --run-jobs` does for one step."""
    with tenancy.operator_scope():
        clock.advance(timedelta(days=STEP))
    run_periodic_jobs()


def states(account):
    with tenancy.operator_scope():
        return [(e.payload["previous_state"], e.payload["overdue_state"]) for e in OutboxEvent.objects.filter(
            type="billing.account.overdue_state_changed", account_id=account.pk).order_by("id")]


def test_a_year_of_collections(make_account, customer_card, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.OVERDUE_FINAL_ACTION = "pause_subscription"
    settings.DUNNING_FINAL_ACTION = "leave_past_due"  # the overdue policy, not dunning, decides here
    globex, cautious, transfers = make_account("Globex"), make_account("Cautious"), make_account("Transfers")
    with tenancy.operator_scope():
        monthly = plan(code="monthly", flat=9_900)
        for account in (globex, cautious, transfers):
            profile(account, email=f"ap-{account.pk}@example.com")
        billing_profile_update(account=transfers, collection_method="send_invoice")
    customer_card(cautious, "4000000000003220", via_setup=False)
    with tenancy.operator_scope():
        subs = {account.pk: subscription_create(account=account, plan=monthly)
                for account in (globex, cautious, transfers)}

    paid_globex_on = 150
    for day in range(STEP, 366, STEP):
        advance_a_step()
        today = clock.now().date()
        with tenancy.operator_scope():
            # The bank transfers arrive five (or, between two steps, six) days after each due date.
            for invoice in Invoice.objects.filter(account=transfers, status="open",
                                                  due_date__lte=today - timedelta(days=5)):
                invoice_mark_paid(invoice=invoice.pk, reference=f"TRF-{invoice.number}")
            if day == paid_globex_on:  # Globex finally pays everything it owes, by transfer
                for invoice in Invoice.objects.filter(account=globex, status="open"):
                    invoice_mark_paid(invoice=invoice.pk, reference=f"GLOBEX-{invoice.number}")
                assert AccountStanding.objects.get(account=globex).overdue_state == "good"
                assert Subscription.objects.get(pk=subs[globex.pk].pk).status == "active"

    with tenancy.operator_scope():
        # Globex: no card. Suspended at 30 days past due (paused: no invoices while paused), restored when it
        # paid on day 150, then overdue again from its next invoices.
        assert states(globex)[:4] == [("good", "warning"), ("warning", "restricted"), ("restricted", "suspended"),
                                      ("suspended", "good")]
        assert states(globex)[4:] == [("good", "warning"), ("warning", "restricted"), ("restricted", "suspended")]
        assert Subscription.objects.get(pk=subs[globex.pk].pk).status == "paused"
        globex_open = Invoice.objects.filter(account=globex, status="open")
        assert 1 <= globex_open.count() <= 3  # the debt stopped growing at suspension
        causes = set(DunningCase.objects.filter(account=globex).values_list("cause", flat=True))
        assert causes == {"no_payment_method"}
        assert not Payment.objects.filter(account=globex).exists()

        # Cautious: every 3-D Secure attempt expired (none stuck), each with its own email and a new link.
        assert not Payment.objects.filter(account=cautious, status="requires_action",
                                          action_expires_at__lt=clock.now()).exists()
        expired = Payment.objects.filter(account=cautious, status="canceled", failure_code="authentication_expired")
        assert expired.count() >= 2
        assert SentEmail.objects.filter(account=cautious, type="billing_payment_action_expired").count() == \
            expired.count()
        assert set(DunningCase.objects.filter(account=cautious).values_list("cause", flat=True)) == {
            "authentication_expired"}
        assert states(cautious)[:3] == [("good", "warning"), ("warning", "restricted"), ("restricted", "suspended")]

        # Transfers: each invoice reminded 3 days before and 1 day after its due date, in dunning from the day
        # after, recovered when the transfer arrived; never late enough for a warning.
        transfer_invoices = Invoice.objects.filter(account=transfers).exclude(status="draft")
        assert transfer_invoices.count() >= 12 and not transfer_invoices.filter(status="open", due_date__lt=clock.now().date()
                                                                                - timedelta(days=5)).exists()
        for invoice in transfer_invoices.filter(status="paid"):
            assert list(InvoiceReminder.objects.filter(invoice=invoice).order_by("step")
                        .values_list("step", flat=True)) == [-3, 1]
            assert DunningCase.objects.get(invoice=invoice).cause == "bank_transfer_not_received"
            assert DunningCase.objects.get(invoice=invoice).status == "recovered"
        assert states(transfers) == []

        # Every reminder was emailed once, and no reminder followed a payment.
        reminders = Counter()
        for reminder in InvoiceReminder.objects.select_related("invoice"):
            reminders["billing_invoice_due_soon" if reminder.step < 0 else "billing_invoice_overdue"] += 1
            paid_at = reminder.invoice.paid_at
            assert paid_at is None or reminder.sent_at < paid_at
        sent = Counter(SentEmail.objects.filter(type__in=list(reminders)).values_list("type", flat=True))
        assert sent == reminders
        assert all(n == 1 for n in Counter(SentEmail.objects.values_list("event_id", "type")).values())
