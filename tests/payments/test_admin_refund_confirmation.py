"""A refund from the admin is typed in major units, confirmed with the amounts, and reported with what was done."""

import pytest

from billing import tenancy
from billing.roles import FINANCE_ADMIN
from payments.models import Payment
from tests.helpers import staff

pytestmark = pytest.mark.django_db

URL = "/admin/payments/payment/"


@pytest.fixture
def paid(make_account, customer_card, open_invoice):
    """A card payment of $124.00, collected."""
    from payments.services.charging import payment_collect

    account = make_account("Acme")
    customer_card(account)
    invoice = open_invoice(account, "124.00")
    with tenancy.operator_scope():
        return payment_collect(invoice_id=invoice.pk)


def step(client, ids, stage=None, **fields):
    data = {"action": "refund", "_selected_action": ids, "reason": "Goodwill", **fields}
    if stage:
        data[stage] = "1"
    return client.post(URL, data, follow=True)


def refunded(payment) -> int:
    with tenancy.operator_scope():
        return Payment.objects.get(pk=payment.pk).amount_refunded


def test_five_dollars_refunds_500_cents_after_a_confirmation_page_showing_5_dollars(paid):
    client = staff("fin", FINANCE_ADMIN)
    form = step(client, [paid.pk]).content.decode()
    assert 'name="amount"' in form and "paid $124.00, refunded $0.00" in form
    preview = step(client, [paid.pk], "_preview", amount="5.00", reason="Late delivery").content.decode()
    assert (f"Refund $5.00 of payment #{paid.pk} (paid $124.00, refunded so far $0.00) to the Visa ending 4242; "
            "the payment will read refunded $5.00 of $124.00 (partially refunded).") in preview
    assert refunded(paid) == 0  # the preview changes nothing
    done = step(client, [paid.pk], "_confirm", amount="5.00", reason="Late delivery").content.decode()
    assert f"Refunded $5.00 on payment #{paid.pk}." in done
    with tenancy.operator_scope():
        payment = Payment.objects.get(pk=paid.pk)
        assert (payment.amount_refunded, payment.status) == (500, "partially_refunded")
        assert payment.refunds.get().reason == "Late delivery"


def test_more_decimals_than_the_currency_has_is_a_form_error_and_refunds_nothing(paid):
    client = staff("fin", FINANCE_ADMIN)
    for stage in ("_preview", "_confirm"):
        page = step(client, [paid.pk], stage, amount="5.005").content.decode()
        assert "USD has only 2 decimals." in page
    assert refunded(paid) == 0


def test_refunding_more_than_is_left_says_so_in_dollars_and_refunds_nothing(paid):
    client = staff("fin", FINANCE_ADMIN)
    preview = step(client, [paid.pk], "_preview", amount="200").content.decode()
    assert f"At most $124.00 can still be refunded on payment #{paid.pk}." in preview
    done = step(client, [paid.pk], "_confirm", amount="200").content.decode()
    assert f"At most $124.00 can still be refunded on payment #{paid.pk}." in done
    assert refunded(paid) == 0


def test_payment_amounts_are_shown_with_their_currency(paid):
    client = staff("fin", FINANCE_ADMIN)
    listing = client.get(URL).content.decode()
    assert "$124.00" in listing and "12400" not in listing
    page = client.get(f"{URL}{paid.pk}/change/").content.decode()
    assert "$124.00" in page and "12400" not in page
