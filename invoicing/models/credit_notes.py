"""Credit notes against finalized invoices, with their own gap-free series."""

from django.db import models

from billing.models import TenantModel

from .invoices import Invoice, InvoiceLine


class CreditNoteStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"


class CreditMethod(models.TextChoices):
    AMOUNT_DUE = "amount_due", "Reduce what is still due on the invoice"
    BALANCE = "balance", "Credit the customer's balance"
    REFUND = "refund", "Refund the payment"


class CreditNote(TenantModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    series = models.CharField(max_length=16, default="CN")
    number = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=CreditNoteStatus.choices, default=CreditNoteStatus.ISSUED)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    credit_method = models.CharField(max_length=16, choices=CreditMethod.choices)
    subtotal = models.BigIntegerField(default=0)
    tax_total = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    issue_date = models.DateField()
    language = models.CharField(max_length=10, default="en")
    # Frozen at issue (invoicing.legal.credit_note_parties reads them); empty on notes issued before they were.
    customer_snapshot = models.JSONField(default=dict, blank=True)
    operator_snapshot = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(upload_to="credit_notes/%Y/%m/", blank=True)
    pdf_etag = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(total__gt=0), name="creditnote_total_positive")]

    def __str__(self):
        return self.number


class CreditNoteLine(TenantModel):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=300)
    amount = models.BigIntegerField(help_text="Net of tax for exclusive rates; as priced for inclusive ones.")
    tax_name = models.CharField(max_length=100, blank=True)
    tax_percentage = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    tax_inclusive = models.BooleanField(default=False)
    tax_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["credit_note", "id"]

    def __str__(self):
        return self.description
