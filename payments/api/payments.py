"""Payments (list, retrieve) and refunds (create, list)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import (
    MinorUnitsField,
    StrictCharField,
    StrictChoiceField,
    StrictInput,
    StrictIntegerField,
    StrictQuery,
)
from billing.api.views import ApiView
from billing.errors import NotFound
from billing.models import Account
from payments.api.common import visible
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.services.refunds import refund_create


class PaymentOutput(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "account_id", "invoice_id", "amount", "currency", "status", "attempt", "gateway",
                  "gateway_payment_id", "gateway_charge_id", "payment_method_id", "failure_code", "failure_message",
                  "amount_refunded", "created_at", "succeeded_at", "failed_at"]


class RefundOutput(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "account_id", "payment_id", "amount", "currency", "status", "reason", "reference",
                  "gateway_refund_id", "credit_note_id", "failure_message", "created_at", "succeeded_at"]


class RefundInput(StrictInput):
    payment_id = StrictIntegerField.of(Payment, "id")
    amount = MinorUnitsField.of(Refund, "amount", min_value=1, required=False,
                                help_text="Minor units; omit to refund everything left.")
    reason = StrictCharField.of(Refund, "reason", required=False, allow_blank=True, default="")


class PaymentListQuery(StrictQuery):
    account_id = StrictIntegerField.of(Account, "id", required=False, help_text="Operator keys: only this account")
    status = StrictChoiceField(choices=PaymentStatus.choices, required=False, help_text="Only this status")
    invoice_id = StrictIntegerField.of(Payment, "invoice", required=False, help_text="Only this invoice")


class RefundListQuery(StrictQuery):
    account_id = StrictIntegerField.of(Account, "id", required=False, help_text="Operator keys: only this account")
    status = StrictChoiceField(choices=RefundStatus.choices, required=False, help_text="Only this status")
    payment_id = StrictIntegerField.of(Refund, "payment", required=False, help_text="Only this payment")


PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description="Page size, 1-100 (default 25)"),
    OpenApiParameter("cursor", str, description="The `next` or `previous` cursor of a page"),
]


def _filtered(request, queryset, query_class: type[StrictQuery]):
    query = query_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return queryset.filter(**query.validated_data)


class PaymentListView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="List payments", parameters=[PaymentListQuery, *PAGE_PARAMETERS],
                   responses=PaymentOutput(many=True))
    def get(self, request):
        """Payments (charges of invoices), newest first, filtered by account, status or invoice; an account
        key sees its own account's."""
        return self.paginated(request, _filtered(request, visible(request, Payment.objects.all()), PaymentListQuery),
                              PaymentOutput)


class PaymentDetailView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="Retrieve a payment", responses=PaymentOutput)
    def get(self, request, payment_id: int):
        """One payment, with what was refunded of it."""
        payment = visible(request, Payment.objects.all()).filter(pk=payment_id).first()
        if payment is None:
            raise NotFound("No such payment.")
        return Response(PaymentOutput(payment).data)


class RefundListCreateView(ApiView):
    calls_payment_gateway = ("POST",)  # the schema lists 502 (billing/api/schema.py)
    required_scopes = {"read": "billing:read", "write": "billing:write"}

    def get_permissions(self):
        # Refunds move money back: operator keys only.
        return [HasScope(), OperatorOnly()] if self.request.method == "POST" else [HasScope()]

    @extend_schema(summary="List refunds", parameters=[RefundListQuery, *PAGE_PARAMETERS],
                   responses=RefundOutput(many=True))
    def get(self, request):
        """Refunds, newest first, filtered by account, status or payment; an account key sees its own
        account's."""
        return self.paginated(request, _filtered(request, visible(request, Refund.objects.all()), RefundListQuery),
                              RefundOutput)

    @extend_schema(summary="Refund a payment (full or partial; operator keys)", request=RefundInput,
                   responses={201: RefundOutput})
    def post(self, request):
        """Refund all that is left of a collected payment, or `amount` of it, through the payment's gateway.
        Operator keys only; a retry with the same Idempotency-Key never refunds twice."""
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = Payment.objects.filter(pk=data.validated_data["payment_id"]).first()
        if payment is None:
            raise NotFound("No such payment.")
        refund = refund_create(payment=payment, amount=data.validated_data.get("amount"),
                               reason=data.validated_data["reason"])
        return Response(RefundOutput(refund).data, status=status.HTTP_201_CREATED)
