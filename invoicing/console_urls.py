"""Console pages of invoicing, mounted at /console/invoices/ by config/urls.py."""

from django.urls import path

from invoicing import views

app_name = "invoicing-console"

urlpatterns = [
    path("", views.invoice_list, name="invoices"),
    path("upcoming/", views.invoice_upcoming_view, name="upcoming"),
    path("<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("<int:invoice_id>/pdf", views.invoice_pdf, name="invoice-pdf"),
]
