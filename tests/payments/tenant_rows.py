"""Rows of every payments tenant table for one account (used by the RLS isolation test)."""

from payments.models import GatewayCustomer, PaymentMethod, PaymentSetup, WebhookEvent


def build(account):
    GatewayCustomer.objects.create(account=account, gateway="stripe", customer_id=f"cus_rows_{account.pk}")
    method = PaymentMethod.objects.create(account=account, gateway="stripe", gateway_id=f"pm_rows_{account.pk}",
                                          type="card", brand="visa", last4="4242", exp_month=12, exp_year=2030,
                                          is_default=True)
    PaymentSetup.objects.create(account=account, gateway="stripe", gateway_id=f"seti_rows_{account.pk}",
                                payment_method=method)
    WebhookEvent.objects.create(account=account, event_id=f"evt_rows_{account.pk}", type="customer.updated",
                                payload={})
