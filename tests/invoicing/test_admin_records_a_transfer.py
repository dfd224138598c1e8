"""Finance records a bank transfer on an invoice in the admin: part of it, or more, previewed with where each
part goes (the invoice, then the oldest open ones, the rest credit), then applied by `payment_allocate`."""

import pytest

from billing import tenancy
from billing.roles import FINANCE_ADMIN
from billing.selectors import credit_balance
from invoicing.models import CollectionMethod, Invoice
from invoicing.services import invoice_finalize
from tests.helpers import staff
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db

URL = "/admin/invoicing/invoice/"


def step(client, ids, stage=None, **fields):
    data = {"action": "record_transfer", "_selected_action": ids, "reason": "Bank statement of the day", **fields}
    if stage:
        data[stage] = "1"
    return client.post(URL, data, follow=True)


def test_a_partial_then_a_larger_transfer(make_account, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    account = make_account("Wires")
    with tenancy.operator_scope():
        older = invoice_finalize(invoice=draft(account, ("Plan", 1, "100.00"),
                                               collection_method=CollectionMethod.SEND_INVOICE))
        newer = invoice_finalize(invoice=draft(account, ("Plan", 1, "50.00"),
                                               collection_method=CollectionMethod.SEND_INVOICE))
    client = staff("fin", FINANCE_ADMIN)
    preview = step(client, [older.pk], "_preview", amount="40.00", reference="SEPA-1").content.decode()
    assert f"$40.00 to {older.number} (due $100.00 → $60.00)" in preview
    step(client, [older.pk], "_confirm", amount="40.00", reference="SEPA-1")
    preview = step(client, [newer.pk], "_preview", amount="130.00", reference="SEPA-2").content.decode()
    assert (f"$50.00 to {newer.number} (due $50.00 → $0.00); $60.00 to {older.number} (due $60.00 → $0.00); "
            "$20.00 to the customer&#x27;s credit balance") in preview
    done = step(client, [newer.pk], "_confirm", amount="130.00", reference="SEPA-2").content.decode()
    assert "$20.00 to the credit balance" in done
    with tenancy.operator_scope():
        assert {i.pk: (i.status, i.amount_due) for i in Invoice.objects.filter(account=account)} == {
            older.pk: ("paid", 0), newer.pk: ("paid", 0)}
        assert credit_balance(account_id=account.pk) == {"USD": 2000}
