"""Money actions on invoices in the admin: typed in major units, confirmed with the amounts, done by the services."""

import pytest

from billing import tenancy
from billing.roles import FINANCE_ADMIN
from invoicing.models import CreditNote, Invoice
from invoicing.services import invoice_finalize
from tests.helpers import staff
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db

URL = "/admin/invoicing/invoice/"


@pytest.fixture
def opened(make_account, settings, tmp_path):
    """opened(currency, unit_price) -> a finalized invoice of one line, for an account of its own."""
    settings.MEDIA_ROOT = str(tmp_path)

    def make(currency="USD", price="124.00"):
        account = make_account(f"Money {currency}")
        with tenancy.operator_scope():
            return invoice_finalize(invoice=draft(account, ("Plan", 1, price), currency=currency))

    return make


def step(client, action, ids, stage=None, **fields):
    data = {"action": action, "_selected_action": ids, "reason": "Agreed with the customer", **fields}
    if stage:
        data[stage] = "1"
    return client.post(URL, data, follow=True)


def credit_notes(invoice):
    with tenancy.operator_scope():
        return list(CreditNote.objects.filter(invoice=invoice).values_list("total", "currency"))


@pytest.mark.parametrize(("currency", "price", "typed", "minor", "shown"), [
    ("USD", "124.00", "10.00", 1000, "$10.00"),
    ("JPY", "5000", "1000", 1000, "¥1,000"),
    ("BHD", "5.000", "1.250", 1250, "BHD\u00a01.250"),
])
def test_a_credit_note_typed_in_major_units_is_issued_for_that_amount_after_confirmation(
        opened, currency, price, typed, minor, shown):
    invoice = opened(currency, price)
    client = staff("fin", FINANCE_ADMIN)
    form = step(client, "credit", [invoice.pk])
    assert form.status_code == 200 and b'name="amount"' in form.content
    preview = step(client, "credit", [invoice.pk], "_preview", amount=typed, reason="Outage")
    assert preview.status_code == 200 and f"credit note of {shown} on {invoice.number}" in preview.content.decode()
    assert credit_notes(invoice) == []  # nothing happens before the confirmation
    done = step(client, "credit", [invoice.pk], "_confirm", amount=typed, reason="Outage")
    assert credit_notes(invoice) == [(minor, currency)]
    assert f"of {shown} on {invoice.number}" in done.content.decode()


@pytest.mark.parametrize(("currency", "price", "typed", "message"), [
    ("USD", "124.00", "10.001", "USD has only 2 decimals."),
    ("JPY", "5000", "1000.5", "JPY has no decimals."),
    ("BHD", "5.000", "1.2505", "BHD has only 3 decimals."),
    ("USD", "124.00", "ten", "Type an amount such as"),
])
def test_more_decimals_than_the_currency_has_is_a_form_error_not_a_rounding(opened, currency, price, typed, message):
    invoice = opened(currency, price)
    client = staff("fin", FINANCE_ADMIN)
    for stage in ("_preview", "_confirm"):
        page = step(client, "credit", [invoice.pk], stage, amount=typed, reason="Outage")
        assert page.status_code == 200 and message in page.content.decode()
    assert credit_notes(invoice) == []


def test_an_amount_for_invoices_in_two_currencies_is_refused(opened):
    usd, jpy = opened("USD", "124.00"), opened("JPY", "5000")
    page = step(staff("fin", FINANCE_ADMIN), "credit", [usd.pk, jpy.pk], "_confirm", amount="10", reason="Outage")
    assert "The selection is in JPY and USD" in page.content.decode()
    assert credit_notes(usd) == credit_notes(jpy) == []


def test_crediting_more_than_is_left_is_shown_with_the_amounts_and_changes_nothing(opened):
    invoice = opened("USD", "124.00")
    client = staff("fin", FINANCE_ADMIN)
    preview = step(client, "credit", [invoice.pk], "_preview", amount="200.00", reason="Outage")
    assert "Only $124.00 is still due" in preview.content.decode()
    done = step(client, "credit", [invoice.pk], "_confirm", amount="200.00", reason="Outage")
    assert done.status_code == 200 and "Only $124.00 is still due" in done.content.decode()
    assert credit_notes(invoice) == []


def test_mark_paid_shows_the_amount_it_records_then_records_it(opened):
    invoice = opened("USD", "124.00")
    client = staff("fin", FINANCE_ADMIN)
    preview = step(client, "mark_paid", [invoice.pk])
    assert f"Mark {invoice.number} paid: records $124.00 received" in preview.content.decode()
    with tenancy.operator_scope():
        assert Invoice.objects.get(pk=invoice.pk).status == "open"
    done = step(client, "mark_paid", [invoice.pk], "_confirm", reference="SEPA-42")
    assert f"Marked {invoice.number} paid: $124.00 recorded (reference SEPA-42)." in done.content.decode()
    with tenancy.operator_scope():
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_a_one_off_line_is_previewed_in_the_invoices_currency_then_added(make_account):
    account = make_account("Lines")
    with tenancy.operator_scope():
        drafted = draft(account, ("Plan", 1, "5000"), currency="JPY")
    client = staff("fin", FINANCE_ADMIN)
    preview = step(client, "add_line", [drafted.pk], "_preview", description="Setup", unit_price="1500",
                   quantity="2")
    assert "= ¥3,000 to" in preview.content.decode() and "subtotal ¥5,000 → ¥8,000" in preview.content.decode()
    step(client, "add_line", [drafted.pk], "_confirm", description="Setup", unit_price="1500", quantity="2")
    with tenancy.operator_scope():
        assert Invoice.objects.get(pk=drafted.pk).subtotal == 8000


def test_an_amount_off_is_typed_in_major_units(make_account):
    account = make_account("Discounts")
    with tenancy.operator_scope():
        drafted = draft(account, ("Plan", 1, "124.00"))
    client = staff("fin", FINANCE_ADMIN)
    preview = step(client, "add_discount", [drafted.pk], "_preview", description="Goodwill", amount_off="5.00")
    assert "$5.00 off its subtotal of $124.00" in preview.content.decode()
    step(client, "add_discount", [drafted.pk], "_confirm", description="Goodwill", amount_off="5.00")
    with tenancy.operator_scope():
        assert Invoice.objects.get(pk=drafted.pk).discount_total == 500


def test_invoice_amounts_are_shown_with_their_currency(opened):
    invoice = opened("USD", "124.00")
    yen = opened("JPY", "5000")
    client = staff("fin", FINANCE_ADMIN)
    listing = client.get(URL).content.decode()
    assert "$124.00" in listing and "¥5,000" in listing and "12400" not in listing
    page = client.get(f"{URL}{invoice.pk}/change/").content.decode()
    assert "$124.00" in page and "12400" not in page
    assert "¥5,000" in client.get(f"{URL}{yen.pk}/change/").content.decode()


def test_a_line_too_large_for_an_invoice_is_refused_not_a_500(make_account):
    account = make_account("Huge")
    with tenancy.operator_scope():
        drafted = draft(account, ("Plan", 1, "1.00"))
    client = staff("fin", FINANCE_ADMIN)
    typed = {"description": "Huge", "unit_price": "99999999999999", "quantity": "999999999999999999"}
    for stage in ("_preview", "_confirm"):
        page = step(client, "add_line", [drafted.pk], stage, **typed)
        assert page.status_code == 200 and "Too large an amount for one invoice." in page.content.decode()
    with tenancy.operator_scope():
        assert Invoice.objects.get(pk=drafted.pk).subtotal == 100
