"""Input and output shapes of the invoicing API."""

from rest_framework import serializers

from invoicing.models import (
    CreditMethod,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
)

INVOICE_FIELDS = ["id", "account_id", "subscription_id", "number", "status", "currency", "collection_method",
                  "billing_reason", "period_start", "period_end", "issue_date", "due_date", "subtotal",
                  "discount_total", "tax_total", "total", "credit_applied", "credited_total", "amount_paid",
                  "amount_due", "tax_breakdown", "tax_note", "finalized_at", "paid_at", "voided_at",
                  "uncollectible_at", "overdue_at", "payment_reference", "created_at"]


class InvoiceLineOutput(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["id", "kind", "description", "metric_code", "group_key", "quantity", "unit_price", "period_start",
                  "period_end", "proration_factor", "amount", "discount_amount", "tax_name", "tax_percentage",
                  "tax_inclusive", "tax_amount", "inputs"]


class InvoiceDiscountOutput(serializers.ModelSerializer):
    class Meta:
        model = InvoiceDiscount
        fields = ["id", "code", "description", "percent_off", "amount_off", "amount"]


class InvoiceOutput(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = INVOICE_FIELDS


class InvoiceDetailOutput(serializers.ModelSerializer):
    lines = InvoiceLineOutput(many=True, read_only=True)
    discounts = InvoiceDiscountOutput(many=True, read_only=True)
    customer = serializers.JSONField(source="customer_snapshot", read_only=True)
    operator = serializers.JSONField(source="operator_snapshot", read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [*INVOICE_FIELDS, "customer", "operator", "memo", "lines", "discounts", "pdf_url"]

    def get_pdf_url(self, invoice) -> str | None:
        return None if invoice.status == "draft" else f"/api/v1/invoices/{invoice.pk}/pdf"


class InvoiceListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=["draft", "open", "paid", "void", "uncollectible"], required=False)
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)
    account_id = serializers.IntegerField(required=False, help_text="Operator keys only.")

    def validate(self, attrs):
        if attrs.get("created_from") and attrs.get("created_to") and attrs["created_from"] > attrs["created_to"]:
            raise serializers.ValidationError({"created_to": ["Must not be before created_from."]})
        return attrs


class UpcomingQuery(serializers.Serializer):
    subscription_id = serializers.IntegerField()


class UpcomingLineOutput(InvoiceLineOutput):
    id = serializers.IntegerField(allow_null=True, read_only=True, help_text="Always null: the line is not stored.")


class UpcomingDiscountOutput(InvoiceDiscountOutput):
    id = serializers.IntegerField(allow_null=True, read_only=True,
                                  help_text="Always null: the discount line is not stored.")


class UpcomingOutput(serializers.Serializer):
    subscription_id = serializers.IntegerField()
    currency = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    next_period_start = serializers.DateTimeField(allow_null=True)
    next_period_end = serializers.DateTimeField(allow_null=True)
    subtotal = serializers.IntegerField()
    discount_total = serializers.IntegerField()
    tax_total = serializers.IntegerField()
    total = serializers.IntegerField()
    tax_breakdown = serializers.JSONField()
    lines = UpcomingLineOutput(many=True)
    discounts = UpcomingDiscountOutput(many=True)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MarkPaidInput(serializers.Serializer):
    reference = serializers.CharField(max_length=200, help_text="Bank transfer or cheque reference.")


class LineAddInput(serializers.Serializer):
    description = serializers.CharField(max_length=300)
    unit_price = serializers.DecimalField(max_digits=20, decimal_places=6,
                                          help_text="Major units (dollars), up to 6 decimals; negative for a credit.")
    quantity = serializers.DecimalField(max_digits=24, decimal_places=6, required=False, default=1)


class DiscountAddInput(serializers.Serializer):
    description = serializers.CharField(max_length=200)
    percent_off = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True,
                                           default=None)
    amount_off = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                          help_text="Minor units.")
    code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class CreditNoteLineInput(serializers.Serializer):
    line_id = serializers.IntegerField()
    amount = serializers.IntegerField(required=False, min_value=1, help_text="Net minor units; omit for all of it.")


class CreditNoteCreateInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    lines = CreditNoteLineInput(many=True, required=False)
    amount = serializers.IntegerField(required=False, min_value=1, help_text="Gross minor units, tax included.")
    credit_method = serializers.ChoiceField(choices=CreditMethod.choices, required=False)


class CreditNoteLineOutput(serializers.ModelSerializer):
    class Meta:
        model = CreditNoteLine
        fields = ["id", "invoice_line_id", "description", "amount", "tax_name", "tax_percentage", "tax_inclusive",
                  "tax_amount"]


class CreditNoteOutput(serializers.ModelSerializer):
    lines = CreditNoteLineOutput(many=True, read_only=True)

    class Meta:
        model = CreditNote
        fields = ["id", "account_id", "invoice_id", "number", "status", "currency", "reason", "credit_method",
                  "subtotal", "tax_total", "total", "issue_date", "created_at", "lines"]
