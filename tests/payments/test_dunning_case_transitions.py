"""A dunning case's status moves only as its transition table allows, and "invoice paid" reaches dunning by one
route: the invoice's move to paid, in the transaction that pays it, whatever paid it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.audit import snapshot
from billing.models import AuditEntry, Subscription
from billing.outbox import handlers_for, outbox_deliver_batch
from billing.services import subscription_mark_past_due
from invoicing.models import Invoice
from payments.gateways import ChargeResult
from payments.models import DUNNING_TRANSITIONS, DunningCase
from tests.helpers import moves_checked
from tests.invoicing.factories import subscription
from tests.payments.plain_rows import payment_row

pytestmark = pytest.mark.django_db

EXPECTED = {"active": {"recovered", "exhausted", "closed"}, "recovered": set(), "exhausted": set(), "closed": set()}


def case_of(invoice) -> DunningCase:
    now = timezone.now()
    return DunningCase.objects.create(account_id=invoice.account_id, invoice=invoice, first_failed_at=now,
                                      last_failed_at=now, failures=1, next_retry_at=now + timedelta(days=1))


def test_every_move_the_table_allows_works_and_every_other_is_refused(make_account, operator):
    payment = payment_row(make_account())
    assert moves_checked(DUNNING_TRANSITIONS, case_of(payment.invoice), EXPECTED) == 16


def pay_by_transfer(payment):
    from invoicing.services import invoice_mark_paid

    invoice_mark_paid(invoice=payment.invoice_id, reference="wire 2026-001")


def pay_by_credit_note(payment):
    from invoicing.services import credit_note_create

    credit_note_create(invoice=payment.invoice, reason="goodwill", amount=payment.amount)


def pay_by_our_payment(payment):
    from payments.services.charging import payment_apply_result

    payment_apply_result(payment=payment, result=ChargeResult(status="succeeded", payment_id="manual_1"))


@pytest.mark.parametrize("pay", [pay_by_transfer, pay_by_credit_note, pay_by_our_payment])
def test_an_invoice_paid_ends_its_case_and_reactivates_in_the_same_transaction(make_account, operator, pay):
    account = make_account()
    sub = subscription(account)
    payment = payment_row(account, subscription_id=sub.pk)
    subscription_mark_past_due(subscription=sub)
    case = case_of(payment.invoice)
    before = snapshot(case)
    pay(payment)  # no outbox delivery: what follows happened in the paying transaction
    case.refresh_from_db()
    assert Invoice.objects.get(pk=payment.invoice_id).status == "paid"
    assert (case.status, case.next_retry_at) == ("recovered", None)
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    recovered = AuditEntry.objects.get(action="dunning.recovered", object_id=str(case.pk))
    assert (recovered.before, recovered.after["status"]) == (before, "recovered")
    # The one route: nothing in payments listens to `billing.invoice.paid` to do it again.
    assert not [h for h in handlers_for("billing.invoice.paid") if h.__module__.startswith("payments")]
    outbox_deliver_batch()
    assert AuditEntry.objects.filter(object_type="payments.dunningcase", object_id=str(case.pk)).count() == 1
