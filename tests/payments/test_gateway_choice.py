"""Which gateway is used comes from settings, and none is built at import time."""

import importlib

import pytest

from payments.gateways import GatewayError, GatewayNotSupported, gateway


def test_without_a_stripe_key_the_default_is_the_offline_sandbox(monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("PAYMENTS_GATEWAY", raising=False)
    import config.settings.payments as payments_settings

    assert importlib.reload(payments_settings).PAYMENTS_GATEWAY == "sandbox"
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    assert importlib.reload(payments_settings).PAYMENTS_GATEWAY == "stripe"
    monkeypatch.delenv("STRIPE_SECRET_KEY")
    importlib.reload(payments_settings)


def test_the_gateway_follows_settings(settings):
    settings.PAYMENTS_GATEWAY = "manual"
    assert gateway().name == "manual"
    settings.PAYMENTS_GATEWAY = "sandbox"
    assert gateway().name == "sandbox" and gateway().offline


def test_stripe_without_a_key_refuses_to_start(settings):
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(GatewayError, match="STRIPE_SECRET_KEY"):
        gateway()


def test_an_unknown_gateway_name_is_an_error(settings):
    settings.PAYMENTS_GATEWAY = "paypal"
    with pytest.raises(GatewayError, match="Unknown payment gateway"):
        gateway()


def test_the_manual_gateway_cannot_store_cards(settings):
    settings.PAYMENTS_GATEWAY = "manual"
    with pytest.raises(GatewayNotSupported):
        gateway().setup_start(reference="x", customer_id="manual_x", method_types=["card"])
