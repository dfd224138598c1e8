"""Rows of every invoicing tenant table for one account (used by the RLS isolation test)."""

from django.db import transaction

from invoicing.models import (
    BillingRecord,
    BillRunFailure,
    InvoiceReminder,
    RenewalNotice,
    SentEmail,
)
from invoicing.services import (
    credit_note_create,
    customer_invoicing_update,
    invoice_discount_add,
    invoice_finalize,
    invoice_record_payment,
)
from tests.invoicing.factories import draft, subscription, utc


def build(account):
    customer_invoicing_update(account=account, net_terms_days=15)
    invoice = draft(account, ("Setup", 1, "50"), ("Support", 2, "25"))
    invoice_discount_add(invoice=invoice, description="Goodwill", amount_off=500)
    invoice = invoice_finalize(invoice=invoice)
    invoice_record_payment(invoice=invoice, amount=1000, payment_reference=f"rows-{account.pk}")
    credit_note_create(invoice=invoice, reason="rows", amount=500)
    sub = subscription(account, code="inv-rows")
    with transaction.atomic():
        BillingRecord.objects.create(account=account, subscription=sub, kind="arrears", period_start=utc(2020, 1, 1),
                                     period_end=utc(2020, 2, 1), invoice=draft(account))
        RenewalNotice.objects.create(account=account, subscription=sub, period_end=utc(2020, 2, 1))
        InvoiceReminder.objects.create(account=account, invoice=invoice, step=-3, sent_at=utc(2020, 1, 1))
        SentEmail.objects.create(account=account, type="billing_invoice_generated", event_id=-account.pk,
                                 recipients=["x@example.com"], subject="rows")
        BillRunFailure.objects.create(account=account, subscription=sub, period_start=utc(2020, 2, 1),
                                      period_end=utc(2020, 3, 1), error_class="ValueError", error_message="rows",
                                      attempts=1, first_seen_at=utc(2020, 3, 1), last_seen_at=utc(2020, 3, 1))
