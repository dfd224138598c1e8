"""One invoice in the console adds up from its lines to its amount due: credit, credit notes, payments,
and what was paid back (console.views.invoice_detail, on tests/console_world.py's account)."""

import pytest

from billing import tenancy
from tests.console_world import page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_detail_adds_up_from_the_lines_to_the_amount_due(world):  # noqa: F811
    response = signed_in(world.viewer).get(f"/console/invoices/{world.billed.pk}/")
    text = page_text(response)
    assert ("LLM tokens model large 1,000,000 tokens included" in text
            and "1,200,000 tokens $0.02 per 1,000 tokens $4.00" in text)
    assert "llm_tokens" not in text
    # An American customer of a French operator: VAT at 0 %, and the page says why.
    assert ("Subtotal $53.00 VAT 0% on $53.00 $0.00 Total $53.00 Credit applied from your balance −$10.00 "
            "Paid −$43.00 Amount due $0.00 Export outside the EU — VAT not applicable") in text
    assert "Payment (TRANSFER-0042) $43.00" in text
    assert f'href="/console/invoices/{world.billed.pk}/pdf"' in response.content.decode()


def test_credit_notes_and_refunds_show_and_the_sum_still_holds(world):  # noqa: F811
    from invoicing.models import CreditMethod
    from invoicing.services import credit_note_create

    with tenancy.operator_scope():
        note = credit_note_create(invoice=world.open_invoice, reason="Workshop shortened", amount=5_000,
                                  credit_method=CreditMethod.AMOUNT_DUE)
    text = page_text(signed_in(world.owner).get(f"/console/invoices/{world.open_invoice.pk}/"))
    assert "Total $250.00 Credit notes −$50.00 Amount due $200.00" in text
    assert f"Credit note {note.number}: Workshop shortened (taken off the amount due) $50.00" in text


def test_refunds_of_the_invoices_payments_show_and_a_failed_one_does_not(world):  # noqa: F811
    from billing import clock
    from payments.models import Payment, Refund

    with tenancy.operator_scope():
        payment = Payment.objects.create(account=world.acme, invoice=world.billed, amount=4_300, currency="USD",
                                         gateway="sandbox", reference="pay-refunded-1", attempt=1,
                                         status="succeeded", created_at=clock.now())
        for reference, amount, status, reason in [("r-1", 1_500, "succeeded", "Outage credit"),
                                                  ("r-2", 700, "pending", "Goodwill"),
                                                  ("r-3", 900, "failed", "Card closed")]:
            Refund.objects.create(account=world.acme, payment=payment, amount=amount, currency="USD",
                                  reference=reference, status=status, reason=reason, created_at=clock.now(),
                                  succeeded_at=clock.now() if status == "succeeded" else None)
    text = page_text(signed_in(world.viewer).get(f"/console/invoices/{world.billed.pk}/"))
    assert "Refunded: Outage credit $15.00" in text and "Refund under way: Goodwill $7.00" in text
    assert "Card closed" not in text
    other = page_text(signed_in(world.owner).get(f"/console/invoices/{world.open_invoice.pk}/"))
    assert "Outage credit" not in other  # another invoice's page shows none of them
