"""Which gateway moves money: chosen by `PAYMENTS_GATEWAY`, built on first use, never at import."""

from __future__ import annotations

from functools import cache

from payments import conf

from .base import (
    GATEWAY_OUTCOMES,
    ChargeRecord,
    ChargeRequest,
    ChargeResult,
    CustomerRef,
    Gateway,
    GatewayError,
    GatewayEvent,
    GatewayNotSupported,
    GatewayUnavailable,
    MethodDetails,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    SetupSession,
)


@cache
def _build(name: str, api_base: str, secret_key: str) -> Gateway:
    if name == "stripe":
        from .stripe_gateway import StripeGateway

        return StripeGateway(
            secret_key=secret_key, publishable_key=conf.settings.STRIPE_PUBLISHABLE_KEY, api_base=api_base,
            timeout_seconds=conf.settings.STRIPE_TIMEOUT_SECONDS,
            max_network_retries=conf.settings.STRIPE_MAX_NETWORK_RETRIES,
        )
    if name == "manual":
        from .manual import ManualGateway

        return ManualGateway()
    if name == "sandbox":
        from .sandbox import SandboxGateway

        return SandboxGateway()
    raise GatewayError(f"Unknown payment gateway {name!r}; use one of {', '.join(conf.GATEWAYS)}.",
                       code="gateway_not_configured")


def gateway(name: str | None = None) -> Gateway:
    """The configured gateway (or the named one: a payment keeps the gateway it was made with)."""
    name = name or conf.settings.PAYMENTS_GATEWAY
    secret_key = conf.settings.STRIPE_SECRET_KEY if name == "stripe" else ""
    return _build(name, conf.settings.STRIPE_API_BASE, secret_key)


def default_name() -> str:
    return conf.settings.PAYMENTS_GATEWAY


__all__ = [
    "ChargeRecord", "ChargeRequest", "ChargeResult", "CustomerRef", "Gateway", "GatewayError", "GatewayEvent",
    "GATEWAY_OUTCOMES", "GatewayNotSupported", "GatewayUnavailable", "MethodDetails", "PaymentStatus", "RefundRequest",
    "RefundResult", "SetupSession", "default_name", "gateway",
]
