"""Invoices and their lines. Amounts are integers in the currency's minor unit."""

from django.db import models

from billing.models import Account, CollectionMethod, TenantModel
from pricing.lines import (
    LineKind,  # the engine's enum: its values and labels are the field's choices
)
from pricing.money import amount_label

from .taxes import TaxRate


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"
    DISPUTED = "disputed", "Disputed"


class BillingReason(models.TextChoices):
    SUBSCRIPTION_CREATE = "subscription_create", "Subscription start"
    SUBSCRIPTION_CYCLE = "subscription_cycle", "Subscription renewal"
    SUBSCRIPTION_UPDATE = "subscription_update", "Subscription change"
    MANUAL = "manual", "Created by finance"


class Invoice(TenantModel):
    # No index of its own: the (account, status, created_at) index below starts with it.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    subscription = models.ForeignKey("billing.Subscription", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="invoices")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    billing_reason = models.CharField(max_length=32, choices=BillingReason.choices, default=BillingReason.MANUAL)
    collection_method = models.CharField(max_length=32, choices=CollectionMethod.choices,
                                         default=CollectionMethod.CHARGE_AUTOMATICALLY)
    # Numbering: assigned at finalization, gap-free per series and year.
    series = models.CharField(max_length=16, default="INV")
    number = models.CharField(max_length=40, null=True, blank=True, unique=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    net_terms_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Indexed for drafts only (invoice_finalize_due_idx): the finalize-due job reads nothing else.
    finalize_after = models.DateTimeField(null=True, blank=True,
                                          help_text="End of the grace period for late usage; then finalized.")
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    uncollectible_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True, help_text="When it was marked overdue (once).")
    # Totals (minor units): total = subtotal - discount_total + exclusive tax.
    subtotal = models.BigIntegerField(default=0)
    discount_total = models.BigIntegerField(default=0)
    tax_total = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    credit_applied = models.BigIntegerField(default=0, help_text="Customer credit balance used, after tax.")
    credited_total = models.BigIntegerField(default=0, help_text="Credit notes against the amount due.")
    amount_paid = models.BigIntegerField(default=0)
    amount_reversed = models.BigIntegerField(default=0, help_text=(
        "Paid money a lost dispute took back (a chargeback): due again, or written off."))
    amount_due = models.BigIntegerField(default=0)
    tax_breakdown = models.JSONField(default=list, blank=True, help_text="Tax per rate.")
    tax_note = models.TextField(blank=True, help_text="Exemption or reverse-charge wording.")
    # Frozen at finalization.
    customer_snapshot = models.JSONField(default=dict, blank=True)
    operator_snapshot = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="en")
    memo = models.TextField(blank=True)
    payment_reference = models.CharField(max_length=200, blank=True)
    pdf = models.FileField(upload_to="invoices/%Y/%m/", blank=True)
    pdf_etag = models.CharField(max_length=64, blank=True)
    pdf_status = models.CharField(max_length=16, blank=True, help_text="The status the stored PDF shows.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status", "created_at"]),
            models.Index(fields=["status", "due_date"], condition=models.Q(status="open"), name="invoice_open_due_idx"),
            models.Index(fields=["finalize_after", "id"], condition=models.Q(status="draft"),
                         name="invoice_finalize_due_idx"),
            # The finance dashboard's receivables (analytics/dashboard_reads.py): an index-only scan of
            # the open invoices by currency and due date, and of each account's oldest.
            models.Index(fields=["currency", "due_date", "account"], include=["amount_due"],
                         condition=models.Q(status="open"), name="invoice_open_aging_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_due__gte=0), name="invoice_amount_due_not_negative"),
            models.CheckConstraint(condition=models.Q(status="draft") | models.Q(number__isnull=False),
                                   name="invoice_finalized_has_number"),
            # Referenced by invoiceline_invoice_account_fk (migration 0005).
            models.UniqueConstraint(fields=["id", "account"], name="invoice_id_account_key"),
        ]

    def __str__(self):
        return self.number or f"draft #{self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class InvoiceLine(TenantModel):
    # One composite foreign key (invoice_id, account_id) -> invoice (id, account_id), added in SQL
    # by migration 0005, stands for both: one check per line instead of two.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", db_constraint=False)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    metric_code = models.CharField(max_length=64, blank=True)
    group_key = models.CharField(max_length=200, blank=True)
    quantity = models.DecimalField(max_digits=24, decimal_places=6)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    proration_factor = models.DecimalField(max_digits=12, decimal_places=10, default=1)
    inputs = models.JSONField(default=dict, blank=True,
                              help_text="Charge model, block size, included units, tier breakdown, source.")
    amount = models.BigIntegerField()
    discount_amount = models.BigIntegerField(default=0)
    # Mostly null: indexed (for PROTECT when a rate is deleted) only where set, in Meta.
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    tax_name = models.CharField(max_length=100, blank=True)
    tax_percentage = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    tax_inclusive = models.BooleanField(default=False)
    tax_amount = models.BigIntegerField(default=0)
    source = models.CharField(max_length=100, blank=True, help_text="e.g. proration:12, one_off.")

    class Meta:
        ordering = ["invoice", "position", "id"]
        indexes = [models.Index(fields=["tax_rate"], condition=models.Q(tax_rate__isnull=False),
                                name="invoiceline_tax_rate_idx")]

    def __str__(self):
        return self.description


class InvoiceDiscount(TenantModel):
    """A coupon or a discount finance added to a draft: off the subtotal, before tax."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="discounts")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=200)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount_off = models.BigIntegerField(null=True, blank=True)
    amount = models.BigIntegerField(default=0, help_text="What it took off this invoice.")
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["invoice", "position", "id"]

    def __str__(self):
        return self.description


class PaymentSource(models.TextChoices):
    GATEWAY = "gateway", "Payment gateway"
    OUT_OF_BAND = "out_of_band", "Paid outside the platform (bank transfer, cheque)"


class InvoicePayment(TenantModel):
    """An amount recorded against an invoice; unique per reference, so recording is idempotent."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.BigIntegerField()
    reference = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=PaymentSource.choices)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["invoice", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "reference"], name="invoicepayment_reference_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoicepayment_amount_positive"),
        ]

    def __str__(self):
        return f"{amount_label(self.amount, self.invoice.currency)} on {self.invoice} ({self.reference})"


class InvoiceReminder(TenantModel):
    """One reminder of an unpaid invoice: `step` is days from its due date (-3: three days before, 7: a
    week after). Unique per (invoice, step), so a rerun or a second worker sends each reminder once."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    step = models.SmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["invoice", "step"]
        constraints = [models.UniqueConstraint(fields=["invoice", "step"], name="invoicereminder_once_per_step")]

    def __str__(self):
        return f"reminder {self.step:+d}d of invoice {self.invoice_id}"
