"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from payments import api

urlpatterns: list = [
    path("payment-methods", api.PaymentMethodListView.as_view(), name="payment-methods"),
    path("payment-methods/setup", api.PaymentMethodSetupView.as_view(), name="payment-method-setup"),
    path("payment-methods/setups/<int:setup_id>/complete", api.PaymentMethodSetupCompleteView.as_view(),
         name="payment-method-setup-complete"),
    path("payment-methods/<int:method_id>", api.PaymentMethodDetailView.as_view(), name="payment-method"),
    path("payment-methods/<int:method_id>/default", api.PaymentMethodDefaultView.as_view(),
         name="payment-method-default"),
]
