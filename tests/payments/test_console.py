"""Console pages: payment methods (sandbox form or Stripe.js) and the 3-D Secure page linked from the email."""

import pytest
from django.test import Client

from billing import tenancy
from invoicing.models import Invoice
from payments.models import Payment, PaymentMethod
from payments.services.charging import payment_collect

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(make_account, django_user_model):
    from billing.services import membership_add

    def make(role="owner", name="Acme"):
        account = make_account(name)
        user = django_user_model.objects.create_user(f"{role}-{account.pk}", password="x",
                                                     email=f"{role}@example.com")
        with tenancy.operator_scope():
            membership_add(account=account, user=user, role=role)
        client = Client()
        client.force_login(user)
        return account, client

    return make


def methods_of(account):
    with tenancy.operator_scope():
        return list(PaymentMethod.objects.filter(account=account, removed_at__isnull=True))


def test_sandbox_cards_are_added_set_default_and_removed_from_the_console(settings, member):
    settings.PAYMENTS_GATEWAY = "sandbox"
    account, client = member()
    page = client.get("/console/payment-methods/")
    assert page.status_code == 200 and b"Demo mode" in page.content
    form = client.get("/console/payment-methods/add/")
    assert b"test_card" in form.content
    setup_id = form.context["setup"].pk
    done = client.post(f"/console/payment-methods/setups/{setup_id}/done/", {"test_card": "visa"}, follow=True)
    assert b"4242" in done.content
    second = client.get("/console/payment-methods/add/").context["setup"].pk
    client.post(f"/console/payment-methods/setups/{second}/done/", {"test_card": "3ds"})
    first, other = sorted(methods_of(account), key=lambda m: m.pk)
    assert first.is_default and not other.is_default
    client.post(f"/console/payment-methods/{other.pk}/default/")
    client.post(f"/console/payment-methods/{first.pk}/remove/")
    remaining = methods_of(account)
    assert [(m.pk, m.is_default) for m in remaining] == [(other.pk, True)]


def test_viewers_see_methods_but_cannot_change_them(settings, member):
    settings.PAYMENTS_GATEWAY = "sandbox"
    account, client = member(role="viewer")
    assert client.get("/console/payment-methods/").status_code == 200
    assert client.get("/console/payment-methods/add/").status_code == 403


def test_another_accounts_payment_is_not_found(settings, member, open_invoice):
    settings.PAYMENTS_GATEWAY = "sandbox"
    account, owner = member(name="Acme")
    _, stranger = member(name="Globex")
    setup_id = owner.get("/console/payment-methods/add/").context["setup"].pk
    owner.post(f"/console/payment-methods/setups/{setup_id}/done/", {"test_card": "3ds"})
    invoice = open_invoice(account)
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=invoice.pk)
    assert owner.get(f"/console/payments/{payment.pk}/authenticate/").status_code == 200
    assert stranger.get(f"/console/payments/{payment.pk}/authenticate/").status_code == 404


def test_the_sandbox_3d_secure_page_completes_the_payment(settings, member, open_invoice):
    settings.PAYMENTS_GATEWAY = "sandbox"
    account, client = member()
    setup_id = client.get("/console/payment-methods/add/").context["setup"].pk
    client.post(f"/console/payment-methods/setups/{setup_id}/done/", {"test_card": "3ds"})
    invoice = open_invoice(account)
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=invoice.pk)
    assert payment.status == "requires_action"
    page = client.get(f"/console/payments/{payment.pk}/authenticate/")
    assert b"Authenticate" in page.content
    client.post(f"/console/payments/{payment.pk}/authenticate/done/", {"outcome": "ok"})
    with tenancy.operator_scope():
        assert Payment.objects.get(pk=payment.pk).status == "succeeded"
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_the_stripe_3d_secure_page_hands_the_client_secret_to_stripe_js(member, customer_card, open_invoice,
                                                                        stripe_client, localstripe_url):
    from .conftest import authenticate_3ds

    account, client = member()
    customer_card(account, "4000000000003220", via_setup=False)
    invoice = open_invoice(account)
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=invoice.pk)
    intent = stripe_client.v1.payment_intents.retrieve(payment.gateway_payment_id)
    page = client.get(f"/console/payments/{payment.pk}/authenticate/")
    # The page hands the secret over; its script (a static file, for the CSP) calls confirmCardPayment.
    assert intent.client_secret.encode() in page.content and b"js/stripe_payment_authenticate.js" in page.content
    authenticate_3ds(localstripe_url, intent.id, intent.client_secret)  # what Stripe.js does with the bank
    client.post(f"/console/payments/{payment.pk}/authenticate/done/")
    with tenancy.operator_scope():
        assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert b"Nothing more to do" in client.get(f"/console/payments/{payment.pk}/authenticate/").content
