"""Dunning reaches its final outcome even when the customer removed every payment method: a scheduled retry
with nothing to charge counts as a failed retry instead of holding its slot forever."""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from payments.models import DunningCase, Payment, PaymentMethod
from payments.services.charging import payment_collect
from payments.services.dunning import dunning_retry_due
from payments.services.methods import payment_method_remove

from .conftest import outbox_events

pytestmark = pytest.mark.django_db


def test_retries_without_a_payment_method_still_end_in_the_final_action(make_account, customer_card, open_invoice,
                                                                         settings):
    from tests.invoicing.factories import subscription

    settings.DUNNING_FINAL_ACTION = "cancel_subscription"
    account = make_account("Acme")
    customer_card(account, "4000000000000341")
    with tenancy.operator_scope():
        sub = subscription(account)
    invoice = open_invoice(account, "100.00", subscription=sub)
    start = clock.now()
    with clock.frozen(start), tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
        payment_method_remove(method=PaymentMethod.objects.get(account=account))
    for day in (1, 3, 5, 7, 8, 9, 10):
        with clock.frozen(start + timedelta(days=day, minutes=1)), tenancy.operator_scope():
            dunning_retry_due()
    with tenancy.operator_scope():
        case = DunningCase.objects.get(invoice=invoice)
        assert (case.status, case.retries_done, case.final_action) == ("exhausted", 4, "cancel_subscription")
        assert case.last_failure_code == "no_payment_method"
        assert type(sub).objects.get(pk=sub.pk).status == "canceled"
        assert Payment.objects.filter(invoice=invoice).count() == 1
    # Each failed retry tells the customer (the invoicing app emails from this event), with the console link.
    failed = outbox_events("billing.payment.failed")
    assert [e.payload["failure_code"] for e in failed][1:] == ["no_payment_method"] * 4
    assert failed[1].payload["next_retry_at"] and failed[-1].payload["next_retry_at"] is None
    assert failed[-1].payload["payment_id"] is None and failed[-1].payload["invoice_id"] == invoice.pk
    assert failed[-1].payload["update_payment_method_url"].endswith("/console/")
