"""Invoicing's console page outside the invoices (the billing details), included by the console's URLconf inside its
`console` namespace:

    path("console/", include("invoicing.console_urls")),
"""

from django.urls import path

from invoicing import views_billing_details

urlpatterns = [
    path("billing/", views_billing_details.billing_details, name="billing-details"),
]
