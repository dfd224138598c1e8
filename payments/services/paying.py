"""A customer paying one open invoice now, from the console or the hosted invoice page.

Both go through `payment_collect` (charging.py) with the attempt number their pay form was drawn for: the
attempt is the idempotency key of the customer's click, so a double submit, a refresh or a replayed form
returns the attempt it already made and never charges a second time (the gateway call itself carries the
attempt's reference as its idempotency key). A new card is first saved through the SetupIntent flow, as
on the payment methods page, then charged like a saved one.
"""

from __future__ import annotations

from billing.errors import NotFound
from invoicing.models import Invoice, InvoiceStatus
from payments import selectors
from payments.gateways import gateway
from payments.models import Payment, PaymentSetup, SetupStatus
from payments.services.charging import payment_collect
from payments.services.methods import payment_method_setup_complete

TRIGGER = "customer"


def invoice_payable(invoice: Invoice) -> bool:
    return invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0


def invoice_pay(*, invoice: Invoice, payment_method_id: int, attempt: int) -> Payment | None:
    """Charge this saved method of the invoice's account for what the invoice has due (None: nothing to
    charge any more, the invoice was paid or voided meanwhile)."""
    if not selectors.payment_methods_of(account_id=invoice.account_id).filter(pk=payment_method_id).exists():
        raise NotFound("No such payment method.")
    return payment_collect(invoice_id=invoice.pk, trigger=TRIGGER, payment_method_id=payment_method_id,
                           attempt=attempt, customer_present=True)


def invoice_pay_with_setup(*, invoice: Invoice, setup: PaymentSetup, attempt: int,
                           test_card: str = "") -> tuple[PaymentSetup, Payment | None]:
    """A new card: bring its setup up to date (the sandbox attaches the chosen test card first, as Stripe.js
    would), then charge it. A setup that failed or waits for the bank charges nothing."""
    made = Payment.objects.filter(invoice=invoice, attempt__gte=attempt).order_by("attempt").first()
    if made is not None:  # the form was sent before: show that attempt, touch nothing
        return setup, made
    gw = gateway(setup.gateway)
    if gw.offline and test_card and setup.status == SetupStatus.STARTED:
        gw.setup_confirm(setup_id=setup.gateway_id, card=test_card)
    setup = payment_method_setup_complete(setup=setup)
    if setup.status != SetupStatus.SUCCEEDED or setup.payment_method_id is None:
        return setup, None
    return setup, invoice_pay(invoice=invoice, payment_method_id=setup.payment_method_id, attempt=attempt)
