from .accounts import Account, Membership, MembershipRole, TenantModel
from .api_keys import ApiKey, ApiScope
from .audit import AuditEntry
from .catalog import (
    UNLIMITED,
    CapMode,
    ChangeTiming,
    ChargeModel,
    Interval,
    Plan,
    PlanCharge,
    PlanLimit,
    PlanPrice,
    PlanVersion,
    Product,
    ProrationBehavior,
    TrialEndBehavior,
)
from .clock import SimulatedClock
from .customers import (
    BillingProfile,
    Coupon,
    CouponDuration,
    CreditEntry,
    CreditKind,
    PromotionCode,
)
from .job_runs import JobRun
from .metrics import Aggregation, BillableMetric
from .outbox import OutboxEvent
from .signin import SignInThrottle
from .subscriptions import (
    LIVE_STATUSES,
    DiscountStatus,
    ProrationItem,
    ProrationKind,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
    SubscriptionDiscount,
    SubscriptionMetricOverride,
    SubscriptionStatus,
)

__all__ = [
    "LIVE_STATUSES",
    "UNLIMITED",
    "Account",
    "Aggregation",
    "ApiKey",
    "ApiScope",
    "AuditEntry",
    "BillableMetric",
    "BillingProfile",
    "CapMode",
    "ChangeTiming",
    "ChargeModel",
    "Coupon",
    "CouponDuration",
    "CreditEntry",
    "CreditKind",
    "DiscountStatus",
    "Interval",
    "JobRun",
    "Membership",
    "MembershipRole",
    "OutboxEvent",
    "Plan",
    "PlanCharge",
    "PlanLimit",
    "PlanPrice",
    "PlanVersion",
    "Product",
    "PromotionCode",
    "ProrationBehavior",
    "ProrationItem",
    "ProrationKind",
    "ScheduledChange",
    "ScheduledChangeStatus",
    "SignInThrottle",
    "SimulatedClock",
    "Subscription",
    "SubscriptionDiscount",
    "SubscriptionMetricOverride",
    "SubscriptionStatus",
    "TenantModel",
    "TrialEndBehavior",
]
