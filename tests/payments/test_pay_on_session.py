"""A customer paying from a pay page is on the page: the charge goes to Stripe on-session (localstripe), so a
bank that wants 3-D Secure answers requires_action (the challenge), where an off-session charge, collected
by the jobs, would be refused with authentication_required."""

import pytest

from billing import tenancy
from invoicing.models import Invoice
from payments.gateways import ChargeRequest, PaymentStatus
from payments.gateways.stripe_gateway import StripeGateway
from payments.models import Payment
from tests import console_world
from tests.console_world import signed_in

pytestmark = pytest.mark.django_db
world = console_world.world


def test_the_gateway_charges_on_session_when_the_customer_is_present(stripe_gateway, stripe_client, monkeypatch):
    customer = stripe_gateway.customer_create(reference="account:on-session", name="On session")
    method = stripe_client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000000000003220", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_gateway.method_attach(method_id=method.id, customer_id=customer.id)
    sent = []
    real_create = stripe_gateway.client.v1.payment_intents.create

    def create(params, options=None):
        sent.append(params)
        return real_create(params=params, options=options)

    monkeypatch.setattr(stripe_gateway.client.v1.payment_intents, "create", create)
    present = stripe_gateway.charge(ChargeRequest(reference="invoice:90:attempt:1", customer_id=customer.id,
                                                  payment_method_id=method.id, amount=19771, currency="USD",
                                                  customer_present=True))
    away = stripe_gateway.charge(ChargeRequest(reference="invoice:91:attempt:1", customer_id=customer.id,
                                               payment_method_id=method.id, amount=19771, currency="USD"))
    assert present.status == PaymentStatus.REQUIRES_ACTION and present.client_secret
    assert "off_session" not in sent[0] and sent[0]["payment_method_types"] == ["card"]
    assert sent[1]["off_session"] is True and "payment_method_types" not in sent[1]
    assert away.payment_id != present.payment_id


def test_a_saved_3d_secure_card_paid_from_the_console_leads_to_the_challenge(world, customer_card, monkeypatch):
    card = customer_card(world.acme, "4000000000003220", via_setup=False)
    asked = []
    real_charge = StripeGateway.charge

    def charge(self, request):
        asked.append(request.customer_present)
        return real_charge(self, request)

    monkeypatch.setattr(StripeGateway, "charge", charge)
    client = signed_in(world.owner)
    page = client.get(f"/console/invoices/{world.open_invoice.pk}/pay/")
    done = client.post(f"/console/invoices/{world.open_invoice.pk}/pay/",
                       {"method": str(card.pk), "attempt": page.context["form"]["attempt"].value()})
    with tenancy.operator_scope():
        payment = Payment.objects.get(invoice_id=world.open_invoice.pk)
        assert Invoice.objects.get(pk=world.open_invoice.pk).status == "open"
    assert asked == [True] and payment.status == "requires_action"
    assert done["Location"] == f"/console/payments/{payment.pk}/authenticate/"
