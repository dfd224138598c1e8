from .customers import GatewayCustomer
from .dunning import DUNNING_TRANSITIONS, AccountDunning, DunningCase, DunningCause, DunningStatus
from .ledger import LedgerDifference
from .methods import PaymentMethod, PaymentSetup, SetupStatus
from .payments import (
    ACTIVE_STATUSES,
    COLLECTED_STATUSES,
    DISPUTE_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    REFUND_TRANSITIONS,
    Dispute,
    DisputeOutcome,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from .reconciliation import (
    Discrepancy,
    DiscrepancyKind,
    DiscrepancyResolution,
    ReconciliationRun,
    RunStatus,
)
from .webhooks import WebhookEvent, WebhookStatus

__all__ = [
    "ACTIVE_STATUSES",
    "COLLECTED_STATUSES",
    "DISPUTE_TRANSITIONS",
    "DUNNING_TRANSITIONS",
    "PAYMENT_TRANSITIONS",
    "REFUND_TRANSITIONS",
    "AccountDunning",
    "Discrepancy",
    "DiscrepancyKind",
    "DiscrepancyResolution",
    "Dispute",
    "DisputeOutcome",
    "DunningCase",
    "DunningCause",
    "DunningStatus",
    "GatewayCustomer",
    "LedgerDifference",
    "Payment",
    "PaymentMethod",
    "PaymentSetup",
    "PaymentStatus",
    "ReconciliationRun",
    "Refund",
    "RefundStatus",
    "RunStatus",
    "SetupStatus",
    "WebhookEvent",
    "WebhookStatus",
]
