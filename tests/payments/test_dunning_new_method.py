"""A customer in dunning who adds a new card (without making it the default) is retried at once on that
new card, not on the default card that keeps declining."""

import pytest

from billing import tenancy
from invoicing.models import Invoice
from payments.models import Payment, PaymentMethod
from payments.services.charging import payment_collect

pytestmark = pytest.mark.django_db


def test_the_immediate_retry_charges_the_method_just_added(make_account, customer_card, open_invoice,
                                                          django_capture_on_commit_callbacks):
    from billing.outbox import outbox_deliver_batch
    from tests.invoicing.factories import subscription

    account = make_account("Acme")
    declining = customer_card(account, "4000000000000341")
    with tenancy.operator_scope():
        sub = subscription(account)
    invoice = open_invoice(account, "100.00", subscription=sub)
    with tenancy.operator_scope():
        assert payment_collect(invoice_id=invoice.pk).status == "failed"
        outbox_deliver_batch()
    good = customer_card(account)
    with tenancy.operator_scope():
        assert PaymentMethod.objects.get(pk=declining.pk).is_default  # the customer did not change the default
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver_batch()
        retry = Payment.objects.filter(invoice=invoice).order_by("-attempt").first()
        assert (retry.attempt, retry.payment_method_id, retry.status) == (2, good.pk, "succeeded")
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"
