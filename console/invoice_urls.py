"""The console's invoice pages, mounted at /console/invoices/ by config/urls.py. The namespace stays
invoicing's name: templates, emails and tests reverse `invoicing-console:...`."""

from django.urls import path

from console import views
from invoicing import views as invoicing_views
from payments import pay_views

app_name = "invoicing-console"

urlpatterns = [
    path("", invoicing_views.invoice_list, name="invoices"),
    path("<int:invoice_id>/ubl", invoicing_views.invoice_ubl, name="invoice-ubl"),
    path("upcoming/", invoicing_views.invoice_upcoming_view, name="upcoming"),
    path("<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("<int:invoice_id>/pdf", invoicing_views.invoice_pdf, name="invoice-pdf"),
    path("<int:invoice_id>/pay/", pay_views.invoice_pay_page, name="invoice-pay"),
    path("<int:invoice_id>/pay/new/", pay_views.invoice_pay_new_card, name="invoice-pay-new"),
    path("<int:invoice_id>/pay/new/<int:setup_id>/", pay_views.invoice_pay_new_card_done,
         name="invoice-pay-new-done"),
]
