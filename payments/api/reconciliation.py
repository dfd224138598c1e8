"""Reconciliation runs: trigger (admin scope, Idempotency-Key of 16+ characters), list, retrieve."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.strict import StrictDateTimeField, StrictInput, expect_no_parameters
from billing.api.views import ApiView
from billing.errors import NotFound, ValidationFailed
from payments.models import Discrepancy, ReconciliationRun
from payments.services.reconciliation import MIN_KEY_LENGTH, reconciliation_run_start


class DiscrepancyOutput(serializers.ModelSerializer):
    class Meta:
        model = Discrepancy
        fields = ["id", "kind", "object_type", "gateway_id", "account_id", "payment_id", "refund_id", "currency",
                  "local_amount", "gateway_amount", "local_status", "gateway_status", "details", "resolution",
                  "note", "resolved_by", "resolved_at"]


class RunOutput(serializers.ModelSerializer):
    class Meta:
        model = ReconciliationRun
        fields = ["id", "gateway", "window_start", "window_end", "trigger", "status", "charges_seen",
                  "refunds_seen", "payments_checked", "refunds_checked", "discrepancy_count", "total_discrepancy",
                  "currency", "alerted", "error", "created_at", "finished_at"]


class RunDetailOutput(RunOutput):
    discrepancies = DiscrepancyOutput(many=True, read_only=True)

    class Meta(RunOutput.Meta):
        fields = [*RunOutput.Meta.fields, "discrepancies"]


class ReconcileInput(StrictInput):
    window_start = StrictDateTimeField(required=False, help_text="Default: 24 hours before window_end.")
    window_end = StrictDateTimeField(required=False, help_text="Default: now.")


class ReconcileView(ApiView):
    calls_payment_gateway = True  # the schema lists 502 (billing/api/schema.py)
    required_scopes = "admin"
    feature = "reconciliation"

    @extend_schema(
        summary="Run a reconciliation against Stripe now",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
                                     description=f"At least {MIN_KEY_LENGTH} characters; the same key within "
                                                 "24 hours returns the same run.")],
        request=ReconcileInput, responses={201: RunDetailOutput, 200: RunDetailOutput},
    )
    def post(self, request):
        """Compare Stripe's charges and refunds in a window (default: the last 24 hours) with ours and record
        every discrepancy. The same Idempotency-Key within 24 hours answers the same run (200)."""
        key = request.headers.get("Idempotency-Key", "")
        if len(key) < MIN_KEY_LENGTH:
            raise ValidationFailed({"Idempotency-Key": f"Required, at least {MIN_KEY_LENGTH} characters."})
        data = ReconcileInput(data=request.data)
        data.is_valid(raise_exception=True)
        end = data.validated_data.get("window_end") or timezone.now()
        start = data.validated_data.get("window_start") or end - timedelta(days=1)
        before = ReconciliationRun.objects.filter(idempotency_key=key).values_list("pk", flat=True).first()
        run = reconciliation_run_start(window_start=start, window_end=end, idempotency_key=key, trigger="api")
        reused = before is not None and before == run.pk
        return Response(RunDetailOutput(run).data, status=status.HTTP_200_OK if reused else status.HTTP_201_CREATED)


class RunListView(ApiView):
    feature = "reconciliation"
    required_scopes = "admin"

    @extend_schema(summary="List reconciliation runs", responses=RunOutput(many=True))
    def get(self, request):
        """Reconciliation runs, newest first, with their counts and the total of their discrepancies."""
        expect_no_parameters(request)
        return self.paginated(request, ReconciliationRun.objects.all(), RunOutput)


class RunDetailView(ApiView):
    feature = "reconciliation"
    required_scopes = "admin"

    @extend_schema(summary="Retrieve a reconciliation run with its discrepancies", responses=RunDetailOutput)
    def get(self, request, run_id: int):
        """One reconciliation run with each discrepancy, its kind and how it was resolved."""
        run = ReconciliationRun.objects.filter(pk=run_id).prefetch_related("discrepancies").first()
        if run is None:
            raise NotFound("No such reconciliation run.")
        return Response(RunDetailOutput(run).data)
