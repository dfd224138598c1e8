from .bill_runs import (
    BillingKind,
    BillingRecord,
    BillRun,
    BillRunFailure,
    BillRunStatus,
    RenewalNotice,
)
from .credit_notes import CreditMethod, CreditNote, CreditNoteLine, CreditNoteStatus
from .invoices import (
    BillingReason,
    CollectionMethod,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoicePayment,
    InvoiceReminder,
    InvoiceStatus,
    LineKind,
    PaymentSource,
)
from .numbering import NumberSequence
from .preferences import CustomerInvoicing, EmailType, SentEmail
from .taxes import TaxRate

__all__ = [
    "BillRun", "BillRunFailure", "BillRunStatus", "BillingKind", "BillingReason", "BillingRecord", "CollectionMethod", "CreditMethod",
    "CreditNote", "CreditNoteLine", "CreditNoteStatus", "CustomerInvoicing", "EmailType", "Invoice",
    "InvoiceDiscount", "InvoiceLine", "InvoicePayment", "InvoiceReminder", "InvoiceStatus", "LineKind", "NumberSequence", "PaymentSource", "RenewalNotice", "SentEmail", "TaxRate",
]
