"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from billing.api import catalog, customers, portal, subscriptions

urlpatterns: list = [
    path("plans", catalog.PlanListCreateView.as_view(), name="plans"),
    path("plans/<slug:code>", catalog.PlanDetailView.as_view(), name="plan"),
    path("plans/<slug:code>/pricing", catalog.PlanPricingView.as_view(), name="plan-pricing"),
    path("accounts", customers.AccountListCreateView.as_view(), name="accounts"),
    path("accounts/<int:account_id>", customers.AccountDetailView.as_view(), name="account"),
    path("accounts/<int:account_id>/billing-profile", customers.BillingProfileView.as_view(),
         name="billing-profile"),
    path("accounts/<int:account_id>/credits", customers.CreditListGrantView.as_view(), name="credits"),
    path("portal-sessions", portal.PortalSessionCreateView.as_view(), name="portal-sessions"),
    path("coupons", customers.CouponListCreateView.as_view(), name="coupons"),
    path("coupons/<slug:code>/promotion-codes", customers.PromotionCodeCreateView.as_view(),
         name="promotion-codes"),
    path("subscriptions", subscriptions.SubscriptionListCreateView.as_view(), name="subscriptions"),
    path("subscriptions/<int:subscription_id>", subscriptions.SubscriptionDetailView.as_view(), name="subscription"),
    path("subscriptions/<int:subscription_id>/change", subscriptions.SubscriptionChangeView.as_view(),
         name="subscription-change"),
    path("subscriptions/<int:subscription_id>/scheduled-change/cancel",
         subscriptions.SubscriptionScheduledChangeCancelView.as_view(), name="subscription-scheduled-change-cancel"),
    path("subscriptions/<int:subscription_id>/cancel", subscriptions.SubscriptionCancelView.as_view(),
         name="subscription-cancel"),
    path("subscriptions/<int:subscription_id>/undo-cancel", subscriptions.SubscriptionUndoCancelView.as_view(),
         name="subscription-undo-cancel"),
    path("subscriptions/<int:subscription_id>/pause", subscriptions.SubscriptionPauseView.as_view(),
         name="subscription-pause"),
    path("subscriptions/<int:subscription_id>/resume", subscriptions.SubscriptionResumeView.as_view(),
         name="subscription-resume"),
    path("subscriptions/<int:subscription_id>/end-trial", subscriptions.SubscriptionEndTrialView.as_view(),
         name="subscription-end-trial"),
    path("subscriptions/<int:subscription_id>/overrides", subscriptions.SubscriptionOverridesView.as_view(),
         name="subscription-overrides"),
    path("subscriptions/<int:subscription_id>/coupon", subscriptions.SubscriptionCouponView.as_view(),
         name="subscription-coupon"),
]
