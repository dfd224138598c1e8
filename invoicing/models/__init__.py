from .bill_runs import BillingRecord, BillRun, BillRunStatus
from .credit_notes import CreditMethod, CreditNote, CreditNoteLine, CreditNoteStatus
from .invoices import (
    BillingReason,
    CollectionMethod,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    LineKind,
    PaymentSource,
)
from .numbering import NumberSequence
from .preferences import CustomerInvoicing, EmailType, SentEmail
from .taxes import TaxRate

__all__ = [
    "BillRun", "BillRunStatus", "BillingReason", "BillingRecord", "CollectionMethod", "CreditMethod",
    "CreditNote", "CreditNoteLine", "CreditNoteStatus", "CustomerInvoicing", "EmailType", "Invoice",
    "InvoiceDiscount", "InvoiceLine", "InvoicePayment", "InvoiceStatus", "LineKind", "NumberSequence", "PaymentSource", "SentEmail", "TaxRate",
]
