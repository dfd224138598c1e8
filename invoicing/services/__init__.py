"""Every write of invoicing: `<noun>_<verb>(*, ...)`, one transaction each, audited."""

from .bill_runs import bill_run_chunk_process, bill_run_start
from .credit_notes import credit_note_create
from .drafts import (
    invoice_create_draft,
    invoice_discount_add,
    invoice_discount_remove,
    invoice_line_add,
    invoice_line_remove,
)
from .finalize_bulk import invoices_finalize_due, invoices_finalize_many
from .numbering import number_take, number_take_many
from .preferences import billing_details_update, customer_invoicing_update
from .renewals_bulk import subscriptions_bill_renewal_many
from .subscriptions import (
    subscription_bill_final,
    subscription_bill_now,
    subscription_bill_opening,
    subscription_bill_renewal,
)
from .taxes import tax_rate_archive, tax_rate_create, tax_rate_update
from .transitions import (
    invoice_finalize,
    invoice_mark_overdue,
    invoice_mark_paid,
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_void,
    invoices_mark_overdue,
)

__all__ = [
    "billing_details_update", "bill_run_chunk_process", "bill_run_start", "subscription_bill_final", "subscription_bill_now",
    "subscription_bill_opening", "subscription_bill_renewal", "subscriptions_bill_renewal_many",
    "credit_note_create", "customer_invoicing_update", "invoice_create_draft", "invoice_discount_add",
    "invoice_discount_remove", "invoice_finalize", "invoice_line_add", "invoice_line_remove",
    "invoice_mark_overdue", "invoice_mark_paid", "invoice_mark_uncollectible", "invoice_record_payment",
    "invoice_void", "invoices_finalize_due", "invoices_finalize_many", "invoices_mark_overdue", "number_take",
    "number_take_many", "tax_rate_archive", "tax_rate_create", "tax_rate_update",
]
