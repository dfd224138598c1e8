"""A hand-computed month for the exports: one French customer, one invoice, its payment, a credit note
and a credit grant, every amount known in advance (EUR, TVA 20 %).

- credit granted: €10.00 (before the invoice, so the invoice uses it)
- invoice: Plan 1 × €100 + Seats 2 × €25 = €150.00 net, TVA €30.00, total €180.00;
  €10.00 of credit applied, €170.00 due
- paid out of band: €170.00 (reference VIR-1)
- credit note on the paid invoice: €30.00 tax included (€25.00 + €5.00 TVA) to the credit balance
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from billing import clock, tenancy


@dataclass
class Book:
    account: object
    invoice: object
    credit_note: object
    grant: object
    start: object
    end: object


@pytest.fixture
def book(make_account, settings, tmp_path) -> Book:
    from billing.services import credit_grant
    from invoicing.models import TaxRate
    from invoicing.services import credit_note_create, invoice_finalize, invoice_mark_paid
    from tests.invoicing.factories import draft, profile

    settings.MEDIA_ROOT = str(tmp_path)
    settings.OPERATOR_COUNTRY = "FR"
    account = make_account("Dupont SAS", external_id="dupont")
    with tenancy.operator_scope():
        TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=Decimal(20))
        profile(account)
        grant = credit_grant(account=account, amount=1000, currency="EUR", reason="Welcome")
        invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "100"), ("Seats", 2, "25"), currency="EUR"))
        invoice = invoice_mark_paid(invoice=invoice, reference="VIR-1")
        note = credit_note_create(invoice=invoice, reason="Outage", amount=3000, credit_method="balance")
        invoice.refresh_from_db()
    today = clock.now().date()
    return Book(account, invoice, note, grant, today - timedelta(days=1), today + timedelta(days=1))
