"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from invoicing.api import einvoice, taxes, views

urlpatterns: list = [
    path("invoices", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/upcoming", views.InvoiceUpcomingView.as_view(), name="invoice-upcoming"),
    path("invoices/<int:invoice_id>", views.InvoiceDetailView.as_view(), name="invoice"),
    path("invoices/<int:invoice_id>/pdf", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("invoices/<int:invoice_id>/ubl", einvoice.InvoiceUblView.as_view(), name="invoice-ubl"),
    path("invoices/<int:invoice_id>/finalize", views.InvoiceFinalizeView.as_view(), name="invoice-finalize"),
    path("invoices/<int:invoice_id>/void", views.InvoiceVoidView.as_view(), name="invoice-void"),
    path("invoices/<int:invoice_id>/mark-paid", views.InvoiceMarkPaidView.as_view(), name="invoice-mark-paid"),
    path("invoices/<int:invoice_id>/mark-uncollectible", views.InvoiceMarkUncollectibleView.as_view(),
         name="invoice-mark-uncollectible"),
    path("invoices/<int:invoice_id>/lines", views.InvoiceLineAddView.as_view(), name="invoice-lines"),
    path("invoices/<int:invoice_id>/lines/<int:line_id>", views.InvoiceLineRemoveView.as_view(),
         name="invoice-line"),
    path("invoices/<int:invoice_id>/discounts", views.InvoiceDiscountAddView.as_view(), name="invoice-discounts"),
    path("invoices/<int:invoice_id>/discounts/<int:discount_id>", views.InvoiceDiscountRemoveView.as_view(),
         name="invoice-discount"),
    path("invoices/<int:invoice_id>/credit-notes", views.CreditNoteCreateView.as_view(), name="invoice-credit-notes"),
    path("credit-notes", views.CreditNoteListView.as_view(), name="credit-notes"),
    path("credit-notes/<int:credit_note_id>/pdf", views.CreditNotePdfView.as_view(), name="credit-note-pdf"),
    path("credit-notes/<int:credit_note_id>/ubl", einvoice.CreditNoteUblView.as_view(), name="credit-note-ubl"),
    path("accounts/<int:account_id>/balance", views.AccountBalanceView.as_view(), name="account-balance"),
    path("tax-rates", taxes.TaxRateListCreateView.as_view(), name="tax-rates"),
    path("tax-rates/<int:rate_id>", taxes.TaxRateDetailView.as_view(), name="tax-rate"),
]
