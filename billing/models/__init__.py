from .accounts import Account, Membership, MembershipRole, TenantModel
from .api_keys import ApiKey, ApiScope
from .audit import AuditEntry
from .outbox import OutboxEvent

__all__ = [
    "Account",
    "ApiKey",
    "ApiScope",
    "AuditEntry",
    "Membership",
    "MembershipRole",
    "OutboxEvent",
    "TenantModel",
]
