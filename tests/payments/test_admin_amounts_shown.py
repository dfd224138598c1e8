"""Every payments page of the admin shows amounts in major units with their currency, to finance and viewers."""

import pytest
from django.utils import timezone

from billing import tenancy
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def test_payments_refunds_disputes_and_reconciliation_show_formatted_amounts(make_account, customer_card,
                                                                             open_invoice):
    from payments.models import Discrepancy, Dispute, ReconciliationRun
    from payments.services.charging import payment_collect
    from payments.services.refunds import refund_create

    account = make_account("Acme")
    customer_card(account)
    invoice = open_invoice(account, "124.00")
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=invoice.pk)
        refund = refund_create(payment=payment, amount=1234)
        run = ReconciliationRun.objects.create(gateway="stripe", window_start=timezone.now(),
                                               window_end=timezone.now(), currency="USD",
                                               created_at=timezone.now(), total_discrepancy=98765)
        item = Discrepancy.objects.create(run=run, kind="amount_mismatch", object_type="charge", currency="USD",
                                          local_amount=45678, gateway_amount=45699, gateway_id="ch_x",
                                          payment=payment, account=account)
        dispute = Dispute.objects.create(payment=payment, account=account, gateway_dispute_id="dp_1", amount=3456,
                                         currency="USD", gateway_status="needs_response", created_at=timezone.now())
    pages = {
        f"/admin/invoicing/invoice/{invoice.pk}/change/": ("$124.00", "12400"),
        "/admin/payments/payment/": ("$12.34", "1234 "),
        f"/admin/payments/payment/{payment.pk}/change/": ("$124.00", "12400"),
        f"/admin/payments/refund/{refund.pk}/change/": ("$12.34", "1234 "),
        f"/admin/payments/dispute/{dispute.pk}/change/": ("$34.56", "3456"),
        "/admin/payments/reconciliationrun/": ("$987.65", "98765"),
        f"/admin/payments/reconciliationrun/{run.pk}/change/": ("$456.78", "45678"),
        f"/admin/payments/discrepancy/{item.pk}/change/": ("$456.99", "45699"),
        "/admin/payments/dunningcase/": ("", ""),
    }
    for client in (staff("fin", FINANCE_ADMIN), staff("viewer", FINANCE_VIEWER)):
        for url, (shown, raw) in pages.items():
            page = client.get(url)
            assert page.status_code == 200, url
            assert shown in page.content.decode() and (not raw or raw not in page.content.decode()), url
