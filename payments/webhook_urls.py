"""Mounted at /webhooks/stripe/ by config/urls.py."""

from django.urls import path

from payments.webhooks.views import stripe_webhook

app_name = "payments-webhooks"

urlpatterns = [
    path("", stripe_webhook, name="stripe"),
]
