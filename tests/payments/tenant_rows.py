"""Rows of every payments tenant table for one account (used by the RLS isolation test)."""

from django.utils import timezone

from payments.models import (
    AccountDunning,
    Discrepancy,
    Dispute,
    DunningCase,
    GatewayCustomer,
    LedgerDifference,
    Payment,
    PaymentMethod,
    PaymentSetup,
    ReconciliationRun,
    Refund,
    WebhookEvent,
)


def build(account):
    from tests.invoicing.factories import draft

    now = timezone.now()
    GatewayCustomer.objects.create(account=account, gateway="stripe", customer_id=f"cus_rows_{account.pk}")
    method = PaymentMethod.objects.create(account=account, gateway="stripe", gateway_id=f"pm_rows_{account.pk}",
                                          type="card", brand="visa", last4="4242", exp_month=12, exp_year=2030,
                                          is_default=True)
    PaymentSetup.objects.create(account=account, gateway="stripe", gateway_id=f"seti_rows_{account.pk}",
                                payment_method=method)
    WebhookEvent.objects.create(account=account, event_id=f"evt_rows_{account.pk}", type="customer.updated",
                                payload={})
    invoice = draft(account)
    payment = Payment.objects.create(account=account, invoice=invoice, amount=100, currency="USD", gateway="stripe",
                                     reference=f"rows:{account.pk}", attempt=1, status="succeeded", created_at=now)
    refund = Refund.objects.create(account=account, payment=payment, amount=10, currency="USD",
                                   reference=f"rows-refund:{account.pk}", created_at=now)
    Dispute.objects.create(account=account, payment=payment, gateway_dispute_id=f"dp_rows_{account.pk}", amount=100,
                           currency="USD", gateway_status="needs_response", created_at=now)
    DunningCase.objects.create(account=account, invoice=invoice, first_failed_at=now, last_failed_at=now)
    AccountDunning.objects.create(account=account, paused=True)
    run = ReconciliationRun.objects.create(gateway="stripe", window_start=now, window_end=now, currency="USD",
                                           created_at=now)
    Discrepancy.objects.create(account=account, run=run, kind="missing_gateway", object_type="refund", refund=refund,
                               payment=payment, currency="USD", local_amount=10)
    LedgerDifference.objects.create(account=account, fingerprint=f"rows-{account.pk}", differences=[], found_at=now)
