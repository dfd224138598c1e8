"""Paying an open invoice from the console (sandbox gateway): a new card or a saved one, declined cards, 3-D
Secure, a double submit that charges once, who may pay, and another account's invoice not found."""

import re

import pytest

from billing import tenancy
from invoicing.models import Invoice
from payments.models import Payment
from tests import console_world
from tests.console_world import page_text, signed_in

pytestmark = pytest.mark.django_db
world = console_world.world  # the console's shared account, as a fixture of this module


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.PAYMENTS_GATEWAY = "sandbox"


def reload(invoice) -> Invoice:
    with tenancy.operator_scope():
        return Invoice.objects.get(pk=invoice.pk)


def payments_of(invoice) -> list[Payment]:
    with tenancy.operator_scope():
        return list(Payment.objects.filter(invoice_id=invoice.pk).order_by("attempt"))


def pay_with_new_card(client, invoice, card: str):
    """The pay page, "a new card", the card form, the card: each step as the browser sends it."""
    page = client.get(f"/console/invoices/{invoice.pk}/pay/")
    attempt = page.context["form"]["attempt"].value()
    chosen = client.post(f"/console/invoices/{invoice.pk}/pay/", {"method": "new", "attempt": attempt})
    assert chosen.status_code == 302
    form = client.get(chosen["Location"])
    assert form.status_code == 200
    return client.post(form.context["action"], {"test_card": card, "attempt": form.context["attempt"]})


def saved_card(client, card: str = "visa"):
    setup_id = client.get("/console/payment-methods/add/").context["setup"].pk
    client.post(f"/console/payment-methods/setups/{setup_id}/done/", {"test_card": card})


@pytest.mark.parametrize("role", ["owner", "billing_manager"])
def test_owners_and_billing_managers_pay_with_a_new_card(world, role):
    client = signed_in(world.user(role))
    detail = client.get(f"/console/invoices/{world.open_invoice.pk}/")
    assert "Pay $250.00" in page_text(detail)
    page = client.get(f"/console/invoices/{world.open_invoice.pk}/pay/")
    assert page.status_code == 200 and "Pay $250.00" in page_text(page) and "A new card" in page_text(page)

    done = pay_with_new_card(client, world.open_invoice, "visa")
    assert done["Location"] == f"/console/invoices/{world.open_invoice.pk}/"
    shown = client.get(done["Location"])
    text = page_text(shown)
    assert "Thank you: $250.00 paid." in text and "Paid" in text and "Pay $250.00" not in text
    assert re.search(r"Payment \(invoice:\d+:attempt:1\)", text)  # the payment, under "Payments and credits"
    assert reload(world.open_invoice).status == "paid"
    assert [p.status for p in payments_of(world.open_invoice)] == ["succeeded"]


def test_the_saved_cards_are_offered_default_first_and_charged(world):
    client = signed_in(world.owner)
    saved_card(client, "visa")
    saved_card(client, "declined")
    page = client.get(f"/console/invoices/{world.open_invoice.pk}/pay/")
    choices = [label for value, label in page.context["form"].fields["method"].choices]
    assert choices[0].startswith("Visa •••• 4242") and "(default)" in choices[0]
    assert choices[1].startswith("Visa •••• 0002") and choices[-1] == "A new card"
    default = page.context["form"].fields["method"].choices[0][0]
    done = client.post(f"/console/invoices/{world.open_invoice.pk}/pay/",
                       {"method": default, "attempt": page.context["form"]["attempt"].value()})
    assert done["Location"] == f"/console/invoices/{world.open_invoice.pk}/"
    assert reload(world.open_invoice).status == "paid"


def test_a_double_submit_or_a_refresh_charges_once(world):
    client = signed_in(world.owner)
    saved_card(client, "declined")
    page = client.get(f"/console/invoices/{world.open_invoice.pk}/pay/")
    form = {"method": page.context["form"].fields["method"].choices[0][0],
            "attempt": page.context["form"]["attempt"].value()}
    first = client.post(f"/console/invoices/{world.open_invoice.pk}/pay/", form)
    again = client.post(f"/console/invoices/{world.open_invoice.pk}/pay/", form)  # the same form, resent
    assert first["Location"] == again["Location"] == f"/console/invoices/{world.open_invoice.pk}/pay/"
    assert len(payments_of(world.open_invoice)) == 1  # the declined attempt, not a second charge
    # A fresh page is a new attempt: the customer may try again on purpose.
    retry = client.get(f"/console/invoices/{world.open_invoice.pk}/pay/")
    assert retry.context["form"]["attempt"].value() == 2


def test_a_declined_card_says_what_to_do(world):
    client = signed_in(world.manager)
    done = pay_with_new_card(client, world.open_invoice, "declined")
    assert done["Location"] == f"/console/invoices/{world.open_invoice.pk}/pay/"
    text = page_text(client.get(done["Location"]))
    assert "Your card was declined." in text and "try another card" in text
    assert reload(world.open_invoice).status == "open"


def test_3d_secure_leads_to_the_challenge_which_reads_the_amount_and_the_number(world):
    client = signed_in(world.owner)
    done = pay_with_new_card(client, world.open_invoice, "3ds")
    payment = payments_of(world.open_invoice)[0]
    assert done["Location"] == f"/console/payments/{payment.pk}/authenticate/"
    challenge = page_text(client.get(done["Location"]))
    assert f"Payment of $250.00 for invoice {world.open_invoice.number}." in challenge
    assert "minor units" not in challenge
    client.post(f"/console/payments/{payment.pk}/authenticate/done/", {"outcome": "ok"})
    assert reload(world.open_invoice).status == "paid"


def test_a_viewer_cannot_pay(world):
    client = signed_in(world.viewer)
    assert "Pay $250.00" not in page_text(client.get(f"/console/invoices/{world.open_invoice.pk}/"))
    assert client.get(f"/console/invoices/{world.open_invoice.pk}/pay/").status_code == 403
    assert client.post(f"/console/invoices/{world.open_invoice.pk}/pay/",
                       {"method": "new", "attempt": 1}).status_code == 403
    assert client.get(f"/console/invoices/{world.open_invoice.pk}/pay/new/").status_code == 403
    assert payments_of(world.open_invoice) == []


@pytest.mark.parametrize("path", ["", "pdf", "pay/", "pay/new/"])
def test_a_member_of_another_account_gets_404(world, path):
    client = signed_in(world.outsider)
    assert client.get(f"/console/invoices/{world.open_invoice.pk}/{path}").status_code == 404


def test_a_paid_invoice_offers_no_pay_button(world):
    client = signed_in(world.owner)
    assert "Pay $" not in page_text(client.get(f"/console/invoices/{world.billed.pk}/"))
    back = client.get(f"/console/invoices/{world.billed.pk}/pay/")
    assert back["Location"] == f"/console/invoices/{world.billed.pk}/"


def test_a_bad_attempt_names_the_field(world):
    client = signed_in(world.owner)
    answer = client.post(f"/console/invoices/{world.open_invoice.pk}/pay/", {"method": "new", "attempt": "x"})
    assert answer.status_code == 400 and "attempt" in answer.context["form"].errors
