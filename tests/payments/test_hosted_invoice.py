"""The hosted invoice page (payments/hosted_views.py): opened from an email without signing in, it shows the
invoice, its PDF and a Pay button with a new card; a paid invoice thanks; void, draft, tampered and unknown
tokens answer 404; a visitor never sees the account's saved cards; requests per address are limited."""

import pytest
from django.test import Client

from billing import tenancy
from invoicing.hosted_links import HOSTED_INVOICE_PATH, hosted_invoice_token, hosted_invoice_url
from invoicing.models import Invoice
from payments.models import Payment
from tests import console_world
from tests.console_world import page_text, signed_in

pytestmark = pytest.mark.django_db
world = console_world.world


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.PAYMENTS_GATEWAY = "sandbox"


def path_of(invoice) -> str:
    return hosted_invoice_url(invoice).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def reload(invoice) -> Invoice:
    with tenancy.operator_scope():
        return Invoice.objects.get(pk=invoice.pk)


def test_the_page_shows_the_invoice_and_its_pdf_without_signing_in(world):
    visitor = Client()
    page = visitor.get(path_of(world.open_invoice))
    assert page.status_code == 200
    text = page_text(page)
    assert world.open_invoice.number in text and "Onboarding workshop" in text and "Pay $250.00" in text
    assert "Acme Corp" in text and "Sign out" not in text
    pdf = visitor.get(path_of(world.open_invoice) + "pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"%PDF" in pdf.content[:10]


def test_a_visitor_pays_with_a_new_card_and_the_page_thanks(world):
    visitor = Client(enforce_csrf_checks=True)
    start = path_of(world.open_invoice)
    form = visitor.get(start + "pay/")
    assert form.status_code == 200 and "Pay $250.00" in page_text(form)
    csrf = form.context["csrf_token"]
    done = visitor.post(form.context["action"], {"test_card": "visa", "attempt": form.context["attempt"],
                                                 "csrfmiddlewaretoken": str(csrf)})
    assert done.status_code == 302 and done["Location"] == start
    page = page_text(visitor.get(start))
    assert "Thank you: $250.00 paid." in page and "Paid on" in page and "thank you" in page
    assert "Pay $" not in page
    assert reload(world.open_invoice).status == "paid"
    # The same form again (a refresh of the POST): nothing more is charged.
    visitor.post(form.context["action"], {"test_card": "visa", "attempt": form.context["attempt"],
                                          "csrfmiddlewaretoken": str(csrf)})
    with tenancy.operator_scope():
        assert Payment.objects.filter(invoice_id=world.open_invoice.pk).count() == 1


def test_the_forms_are_csrf_protected(world):
    visitor = Client(enforce_csrf_checks=True)
    form = visitor.get(path_of(world.open_invoice) + "pay/")
    refused = visitor.post(form.context["action"], {"test_card": "visa", "attempt": form.context["attempt"]})
    assert refused.status_code == 403
    assert reload(world.open_invoice).status == "open"


def test_3d_secure_from_the_hosted_page(world):
    visitor = Client()
    start = path_of(world.open_invoice)
    form = visitor.get(start + "pay/")
    done = visitor.post(form.context["action"], {"test_card": "3ds", "attempt": form.context["attempt"]})
    with tenancy.operator_scope():
        payment = Payment.objects.get(invoice_id=world.open_invoice.pk)
    assert done["Location"] == f"{start}payments/{payment.pk}/authenticate/"
    challenge = page_text(visitor.get(done["Location"]))
    assert f"Payment of $250.00 for invoice {world.open_invoice.number}." in challenge
    back = visitor.post(done["Location"], {"outcome": "ok"})
    assert back["Location"] == start and reload(world.open_invoice).status == "paid"


def test_a_declined_card_sends_the_visitor_back_saying_what_to_do(world):
    visitor = Client()
    start = path_of(world.open_invoice)
    form = visitor.get(start + "pay/")
    done = visitor.post(form.context["action"], {"test_card": "declined", "attempt": form.context["attempt"]})
    assert done["Location"] == start
    assert "Your card was declined." in page_text(visitor.get(start))


def test_the_saved_cards_of_the_account_are_not_offered(world):
    owner = signed_in(world.owner)
    setup_id = owner.get("/console/payment-methods/add/").context["setup"].pk
    owner.post(f"/console/payment-methods/setups/{setup_id}/done/", {"test_card": "visa"})
    assert "(default)" in page_text(owner.get(f"/console/invoices/{world.open_invoice.pk}/pay/"))
    form = Client().get(path_of(world.open_invoice) + "pay/")
    text = page_text(form)
    assert "test_card" in form.content.decode()  # a new card only
    assert "(default)" not in text and "expires" not in text and 'name="method"' not in form.content.decode()


def test_a_paid_invoice_thanks_and_offers_no_pay_button(world):
    page = page_text(Client().get(path_of(world.billed)))
    assert "Paid on" in page and "Pay $" not in page
    again = Client().get(path_of(world.billed) + "pay/")
    assert again.status_code == 302


def test_void_draft_tampered_and_unknown_tokens_are_not_found(world):
    from invoicing.services.transitions import invoice_void
    from tests.invoicing.factories import draft

    visitor = Client()
    with tenancy.operator_scope():
        unfinished = draft(world.acme, ("Draft work", 1, "10.00"))
    assert visitor.get(path_of(unfinished)).status_code == 404
    good = path_of(world.open_invoice)
    token = good[len(HOSTED_INVOICE_PATH):-1]
    assert visitor.get(f"{HOSTED_INVOICE_PATH}{token[:-2]}xx/").status_code == 404
    assert visitor.get(f"{HOSTED_INVOICE_PATH}not-a-token/").status_code == 404
    assert visitor.get(f"{HOSTED_INVOICE_PATH}{hosted_invoice_token(invoice_id=10**9, account_id=1)}/").status_code \
        == 404
    # A token naming an invoice under another account than its own: the invoice is not that account's.
    forged = hosted_invoice_token(invoice_id=world.open_invoice.pk, account_id=world.globex.pk)
    assert visitor.get(f"{HOSTED_INVOICE_PATH}{forged}/").status_code == 404
    with tenancy.operator_scope():
        invoice_void(invoice=reload(world.open_invoice), reason="test")
    assert visitor.get(good).status_code == 404
    assert visitor.get(good + "pdf").status_code == 404


def test_requests_per_address_are_limited(world, settings):
    settings.HOSTED_INVOICE_RATE = 3
    visitor = Client(REMOTE_ADDR="203.0.113.9")
    answers = [visitor.get(f"{HOSTED_INVOICE_PATH}guess-{n}/").status_code for n in range(4)]
    assert answers == [404, 404, 404, 429]
    assert Client(REMOTE_ADDR="203.0.113.10").get(path_of(world.open_invoice)).status_code == 200


def test_a_card_saved_in_the_console_cannot_be_charged_through_the_hosted_page(world):
    owner = signed_in(world.owner)
    setup_id = owner.get("/console/payment-methods/add/").context["setup"].pk
    owner.post(f"/console/payment-methods/setups/{setup_id}/done/", {"test_card": "visa"})
    visitor = Client()
    start = path_of(world.open_invoice)
    visitor.get(start + "pay/")  # the visitor's own setup exists, but they send the owner's
    answer = visitor.post(f"{start}pay/{setup_id}/", {"attempt": 1})
    assert answer.status_code == 404
    with tenancy.operator_scope():
        assert not Payment.objects.filter(invoice_id=world.open_invoice.pk).exists()


def test_a_member_of_another_account_editing_their_own_link_gets_404(world):
    """Globex's owner holds a hosted link to Globex's invoice; pointing its payload at Acme's invoice (keeping
    the signature) is a tampered token."""
    import base64
    import json

    outsider = signed_in(world.outsider)
    own = path_of(world.other_invoice)
    assert outsider.get(own).status_code == 200
    payload, signature = own[len(HOSTED_INVOICE_PATH):-1].rsplit(":", 1)
    edited = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited["i"], edited["a"] = world.open_invoice.pk, world.acme.pk
    forged = base64.urlsafe_b64encode(json.dumps(edited, separators=(",", ":")).encode()).decode().rstrip("=")
    for suffix in ("", "pdf", "pay/"):
        assert outsider.get(f"{HOSTED_INVOICE_PATH}{forged}:{signature}/{suffix}").status_code == 404
