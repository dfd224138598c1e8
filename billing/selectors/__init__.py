"""Reads of the billing app. Every name other apps use is importable from here."""

from billing.selectors.accounts import membership_for, memberships_of
from billing.selectors.contacts import (
    EmailPreferences,
    billing_contacts,
    email_opted_out,
    email_preferences_register,
)
from billing.selectors.standing import (
    OverduePolicy,
    overdue_policy_for,
    overdue_state,
    overdue_state_stored,
)
from billing.selectors.subscriptions import (
    coupons_all,
    credit_balance,
    credit_grants_remaining,
    discounts_active,
    plan_choosable,
    plans_all,
    plans_compared,
    plans_public,
    proration_items_pending,
    scheduled_change_pending,
    subscription_shown,
    subscriptions_due,
    subscriptions_of,
)
from billing.selectors.terms import (
    ChargeTerms,
    Entitlement,
    PlanTerms,
    charge_from_terms,
    entitlements_for,
    plan_terms_for,
)

__all__ = [
    "ChargeTerms",
    "EmailPreferences",
    "Entitlement",
    "OverduePolicy",
    "PlanTerms",
    "billing_contacts",
    "charge_from_terms",
    "coupons_all",
    "credit_balance",
    "credit_grants_remaining",
    "discounts_active",
    "email_opted_out",
    "email_preferences_register",
    "entitlements_for",
    "membership_for",
    "memberships_of",
    "overdue_policy_for",
    "overdue_state",
    "overdue_state_stored",
    "plan_terms_for",
    "plan_choosable",
    "plans_all",
    "plans_compared",
    "plans_public",
    "proration_items_pending",
    "scheduled_change_pending",
    "subscription_shown",
    "subscriptions_due",
    "subscriptions_of",
]
