"""Console pages of billing's plan page, included by the console's URLconf inside its `console` namespace:

    path("console/", include("billing.console_urls")),
"""

from django.urls import path

from billing import views_plan

urlpatterns = [
    path("plan/", views_plan.plan, name="plan"),
    path("plan/<int:subscription_id>/change/", views_plan.plan_change, name="plan-change"),
    path("plan/<int:subscription_id>/scheduled-change/cancel/", views_plan.plan_scheduled_change_cancel,
         name="plan-scheduled-change-cancel"),
    path("plan/<int:subscription_id>/cancel/", views_plan.plan_cancel, name="plan-cancel"),
    path("plan/<int:subscription_id>/cancel/undo/", views_plan.plan_cancel_undo, name="plan-cancel-undo"),
    path("plan/<int:subscription_id>/resume/", views_plan.plan_resume, name="plan-resume"),
]
