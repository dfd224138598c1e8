"""The console's invoice pages, mounted at /console/invoices/ by config/urls.py. The namespace stays
invoicing's name: templates, emails and tests reverse `invoicing-console:...`."""

from django.urls import path

from console import views
from invoicing import views as invoicing_views

app_name = "invoicing-console"

urlpatterns = [
    path("", invoicing_views.invoice_list, name="invoices"),
    path("<int:invoice_id>/ubl", invoicing_views.invoice_ubl, name="invoice-ubl"),
    path("upcoming/", invoicing_views.invoice_upcoming_view, name="upcoming"),
    path("<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("<int:invoice_id>/pdf", invoicing_views.invoice_pdf, name="invoice-pdf"),
]
