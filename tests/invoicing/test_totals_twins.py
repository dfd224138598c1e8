"""An invoice's discounts, tax and totals come from its lines through one computation (`totals_recompute`
over `recompute`), whether one draft is refreshed (`refresh_totals`, in `invoice_finalize`) or a chunk
is finalized (`invoices_finalize_many`): the same drafts finalized both ways carry the same amounts."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.db import transaction

from invoicing.models import Invoice, TaxRate
from invoicing.services import invoice_discount_add, invoice_finalize
from invoicing.services.finalize_bulk import invoices_finalize_many
from invoicing.services.totals import totals_recompute
from invoicing.taxes import TaxTreatment
from tests.invoicing.factories import draft, profile


class Rollback(Exception):
    pass


def line(amount, **stored):
    values = {"discount_amount": 0, "tax_rate_id": None, "tax_name": "", "tax_percentage": D(0),
              "tax_inclusive": False, "tax_amount": 0}
    return SimpleNamespace(amount=amount, **{**values, **stored})


def test_totals_come_from_the_lines_and_only_what_changed_is_returned_to_write():
    invoice = SimpleNamespace(currency="EUR", credit_applied=0, credited_total=0, amount_paid=0)
    vat = TaxTreatment("rate", 1, "TVA", D(20), False)
    stale = line(10_000)
    current = line(-2_000, tax_rate_id=1, tax_name="TVA", tax_percentage=D(20), tax_amount=-400)  # as it will be
    discount = SimpleNamespace(code="TEN", percent_off=D(10), amount_off=None, amount=0)
    changed_lines, changed_discounts = totals_recompute(invoice, [stale, current], [discount], vat)
    assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (8_000, 800, 1_440, 8_640)
    assert [(x.discount_amount, x.tax_amount) for x in (stale, current)] == [(800, 1_840), (0, -400)]
    assert changed_lines == [stale] and changed_discounts == [discount]
    assert invoice.tax_breakdown == [{"name": "TVA", "percentage": "20", "inclusive": False, "kind": "rate",
                                      "taxable": 7_200, "tax": 1_440}]
    assert totals_recompute(invoice, [stale, current], [discount], vat) == ([], [])  # nothing left to write


def finalized(ids, how) -> dict:
    """The amounts of the drafts `ids` once finalized `how`, rolled back afterwards."""
    result = {}
    try:
        with transaction.atomic():
            how(ids)
            for invoice in Invoice.objects.filter(pk__in=ids).order_by("pk"):
                assert invoice.status != "draft"
                result[invoice.pk] = (
                    invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total, invoice.amount_due,
                    invoice.tax_breakdown, invoice.tax_note,
                    [(x.amount, x.discount_amount, x.tax_rate_id, x.tax_name, x.tax_percentage, x.tax_inclusive,
                      x.tax_amount) for x in invoice.lines.order_by("position")],
                    [d.amount for d in invoice.discounts.order_by("position")])
            raise Rollback
    except Rollback:
        pass
    return result


@pytest.mark.django_db
def test_one_draft_and_a_chunk_of_drafts_finalize_to_the_same_totals(make_account, operator, settings):
    settings.OPERATOR_COUNTRY = "FR"
    french, german, bare = make_account("Lyon"), make_account("Berlin"), make_account("Bare")
    profile(french, country="FR")
    profile(german, country="DE")
    drafts = [draft(french, ("Plan", 1, "99.99"), ("Seats", 3, "10.00"), ("Goodwill", 1, "-5.00"), currency="EUR"),
              draft(german, ("Plan", 2, "49.50"), currency="EUR"), draft(bare, ("Plan", 1, "10.00"), currency="EUR")]
    invoice_discount_add(invoice=drafts[0], description="10 %", percent_off="10")
    invoice_discount_add(invoice=drafts[1], description="5 off", amount_off=500)
    # Rates created after the drafts: their stored tax is stale, and finalizing recomputes it.
    TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=D(20))
    TaxRate.objects.create(name="MwSt 19 %", country="DE", percentage=D(19), inclusive=True)
    ids = [d.pk for d in drafts]

    one_by_one = finalized(ids, lambda ids: [invoice_finalize(invoice=pk) for pk in ids])
    as_a_chunk = finalized(ids, lambda ids: invoices_finalize_many(invoice_ids=ids))

    assert as_a_chunk == one_by_one
    french_totals = one_by_one[drafts[0].pk]
    assert french_totals[:4] == (12_499, 1_250, 2_249, 13_498)  # tax came in at finalization
    assert one_by_one[drafts[1].pk][5][0]["inclusive"] is True and one_by_one[drafts[2].pk][2] == 0
