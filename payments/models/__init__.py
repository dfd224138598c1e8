from .customers import GatewayCustomer
from .methods import PaymentMethod, PaymentSetup, SetupStatus
from .webhooks import WebhookEvent, WebhookStatus

__all__ = [
    "GatewayCustomer",
    "PaymentMethod",
    "PaymentSetup",
    "SetupStatus",
    "WebhookEvent",
    "WebhookStatus",
]
