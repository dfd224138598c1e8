"""Input and output shapes of the invoicing API."""

from rest_framework import serializers

from billing.api.strict import (
    MinorUnitsField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDecimalField,
    StrictInput,
    StrictIntegerField,
    StrictQuery,
)
from billing.models import Account, Subscription
from invoicing.models import (
    CreditMethod,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoiceStatus,
)

INVOICE_FIELDS = ["id", "account_id", "subscription_id", "number", "status", "currency", "collection_method",
                  "billing_reason", "period_start", "period_end", "issue_date", "due_date", "subtotal",
                  "discount_total", "tax_total", "total", "credit_applied", "credited_total", "amount_paid",
                  "amount_reversed", "amount_due", "tax_breakdown", "tax_note", "finalized_at", "paid_at", "voided_at",
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


class InvoiceListQuery(StrictQuery):
    status = StrictChoiceField(choices=InvoiceStatus.choices, required=False)
    created_from = StrictDateField(required=False)
    created_to = StrictDateField(required=False)
    account_id = StrictIntegerField.of(Account, "id", required=False, help_text="Operator keys only.")

    def validate(self, attrs):
        if attrs.get("created_from") and attrs.get("created_to") and attrs["created_from"] > attrs["created_to"]:
            raise serializers.ValidationError({"created_to": ["Must not be before created_from."]})
        return attrs


class UpcomingQuery(StrictQuery):
    subscription_id = StrictIntegerField.of(Subscription, "id")


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


class ReasonInput(StrictInput):
    # Kept in the audit entry and the event, which hold as long a reason as a credit note.
    reason = StrictCharField.of(CreditNote, "reason", required=False, allow_blank=True, default="")


class MarkPaidInput(StrictInput):
    reference = StrictCharField.of(Invoice, "payment_reference", help_text="Bank transfer or cheque reference.")


class LineAddInput(StrictInput):
    description = StrictCharField.of(InvoiceLine, "description")
    unit_price = StrictDecimalField.of(InvoiceLine, "unit_price", help_text=(
        'Major units (dollars) as a string, up to 6 decimals, e.g. "12.50"; negative for a credit.'))
    quantity = StrictDecimalField.of(InvoiceLine, "quantity", required=False, default=1,
                                     help_text='A decimal string such as "2.5", or an integer; default 1.')


class DiscountAddInput(StrictInput):
    description = StrictCharField.of(InvoiceDiscount, "description")
    percent_off = StrictDecimalField.of(InvoiceDiscount, "percent_off", required=False, allow_null=True, default=None,
                                        help_text='A percentage as a string, e.g. "10.00".')
    amount_off = MinorUnitsField.of(InvoiceDiscount, "amount_off", min_value=1, required=False, allow_null=True,
                                    default=None)
    code = StrictCharField.of(InvoiceDiscount, "code", required=False, allow_blank=True, default="")


class CreditNoteLineInput(StrictInput):
    line_id = StrictIntegerField.of(InvoiceLine, "id", help_text="An invoice line's id.")
    amount = MinorUnitsField.of(CreditNoteLine, "amount", min_value=1, required=False,
                                help_text="Net minor units; omit for all that is left of the line.")


class CreditNoteCreateInput(StrictInput):
    reason = StrictCharField.of(CreditNote, "reason")
    lines = CreditNoteLineInput(many=True, required=False)
    amount = MinorUnitsField.of(CreditNote, "total", min_value=1, required=False,
                                help_text="Gross minor units, tax included.")
    credit_method = StrictChoiceField(choices=CreditMethod.choices, required=False)


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


class BalanceOutput(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217.")
    due = serializers.IntegerField(help_text="What open and disputed invoices still ask for (minor units).")
    written_off = serializers.IntegerField(help_text="What uncollectible invoices still ask for (minor units).")
    credit = serializers.IntegerField(help_text="The credit balance the next invoices draw on (minor units).")
    net = serializers.IntegerField(help_text="`due` less `credit`: negative when the account is in credit.")


class AccountBalanceOutput(serializers.Serializer):
    account_id = serializers.IntegerField()
    balances = BalanceOutput(many=True)
