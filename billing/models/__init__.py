from .accounts import Account, Membership, MembershipRole, TenantModel
from .api_keys import ApiKey, ApiScope
from .audit import AuditEntry
from .clock import SimulatedClock
from .outbox import OutboxEvent

__all__ = [
    "Account",
    "ApiKey",
    "ApiScope",
    "AuditEntry",
    "Membership",
    "MembershipRole",
    "OutboxEvent",
    "SimulatedClock",
    "TenantModel",
]
