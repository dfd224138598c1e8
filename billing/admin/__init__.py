"""Finance admin of the billing app: accounts and keys, the catalog, subscriptions and credits."""

from billing.admin.accounts import (
    AccountAdmin,
    ApiKeyAdmin,
    AuditEntryAdmin,
    OutboxEventAdmin,
    ReadOnlyAdmin,
)
from billing.admin.catalog import (
    CouponAdmin,
    PlanAdmin,
    PlanVersionAdmin,
    ProductAdmin,
    PromotionCodeAdmin,
)
from billing.admin.standing import AccountStandingAdmin, PlanOverduePolicyAdmin
from billing.admin.subscriptions import CreditEntryAdmin, SubscriptionAdmin

__all__ = [
    "AccountAdmin",
    "AccountStandingAdmin",
    "ApiKeyAdmin",
    "AuditEntryAdmin",
    "CouponAdmin",
    "CreditEntryAdmin",
    "OutboxEventAdmin",
    "PlanAdmin",
    "PlanOverduePolicyAdmin",
    "PlanVersionAdmin",
    "ProductAdmin",
    "PromotionCodeAdmin",
    "ReadOnlyAdmin",
    "SubscriptionAdmin",
]
