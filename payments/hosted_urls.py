"""The hosted invoice page (no sign-in), mounted at invoicing.hosted_links.HOSTED_INVOICE_PATH by config/urls.py
in the namespace `hosted-invoice`."""

from django.urls import path

from payments import hosted_views as views

app_name = "hosted-invoice"

urlpatterns = [
    path("<str:token>/", views.hosted_invoice, name="invoice"),
    path("<str:token>/pdf", views.hosted_invoice_pdf, name="pdf"),
    path("<str:token>/pay/", views.hosted_invoice_pay, name="pay"),
    path("<str:token>/pay/<int:setup_id>/", views.hosted_invoice_pay_done, name="pay-done"),
    path("<str:token>/payments/<int:payment_id>/authenticate/", views.hosted_payment_authenticate,
         name="authenticate"),
]
