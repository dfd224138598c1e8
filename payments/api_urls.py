"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from payments.api import methods, payments, reconciliation

urlpatterns: list = [
    path("payment-methods", methods.PaymentMethodListView.as_view(), name="payment-methods"),
    path("payment-methods/setup", methods.PaymentMethodSetupView.as_view(), name="payment-method-setup"),
    path("payment-methods/setups/<int:setup_id>/complete", methods.PaymentMethodSetupCompleteView.as_view(),
         name="payment-method-setup-complete"),
    path("payment-methods/<int:method_id>", methods.PaymentMethodDetailView.as_view(), name="payment-method"),
    path("payment-methods/<int:method_id>/default", methods.PaymentMethodDefaultView.as_view(),
         name="payment-method-default"),
    path("payments", payments.PaymentListView.as_view(), name="payments"),
    path("payments/<int:payment_id>", payments.PaymentDetailView.as_view(), name="payment"),
    path("refunds", payments.RefundListCreateView.as_view(), name="refunds"),
    path("billing/reconcile", reconciliation.ReconcileView.as_view(), name="reconcile"),
    path("billing/reconciliation-runs", reconciliation.RunListView.as_view(), name="reconciliation-runs"),
    path("billing/reconciliation-runs/<int:run_id>", reconciliation.RunDetailView.as_view(),
         name="reconciliation-run"),
]
