"""Billable metrics over the API, for operator keys: create, list, retrieve, update, archive.

A metric is never deleted: `DELETE` archives it (as plans are archived), and is refused with
409 while plans still need it. docs/metering.md, "Billable metrics over the API".
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictInput,
    StrictJSONObjectField,
    StrictListField,
    StrictQuery,
    expect_no_fields,
)
from billing.api.views import ApiView
from billing.models import Aggregation, BillableMetric
from billing.units import CODE_PATTERN
from metering.selectors import metrics_all
from metering.services import (
    billable_metric_archive,
    billable_metric_create,
    billable_metric_update,
)

SCOPES = {"read": "billing:read", "write": "billing:write"}
PROPERTY_NAME = RegexValidator(r"^[A-Za-z0-9_.-]{1,64}$", "Letters, digits, '_', '.' or '-', at most 64.")
UNIT_CODE = RegexValidator(CODE_PATTERN.pattern, "2 or 3 capital letters or digits, such as C62, E34 or HUR.")
METRIC_CODE = RegexValidator(r"^[-a-zA-Z0-9_]{1,64}$", "Letters, digits, '_' or '-', at most 64.")


class MetricOutput(serializers.ModelSerializer):
    class Meta:
        model = BillableMetric
        fields = ["id", "code", "name", "description", "unit", "unit_code", "aggregation", "field_name", "filters", "group_by",
                  "is_active", "created_at"]


class MetricAttrsInput(StrictInput):
    name = StrictCharField.of(BillableMetric, "name")
    description = StrictCharField(max_length=2000, required=False, allow_blank=True)
    unit = StrictCharField.of(BillableMetric, "unit", required=False, allow_blank=False)
    unit_code = StrictCharField(min_length=2, max_length=3, validators=[UNIT_CODE], required=False, help_text=(
        "UN/ECE Recommendation 20 code of the unit on e-invoices (C62 one, E34 gigabyte, HUR hour); "
        "suggested from `unit` when omitted at creation."))
    aggregation = StrictChoiceField(choices=Aggregation.choices, required=False,
                                    help_text="Fixed once the metric has usage or a plan uses it.")
    field_name = StrictCharField.of(BillableMetric, "field_name", validators=[PROPERTY_NAME], required=False,
                                    allow_blank=True, help_text="The property aggregated; blank = the event's value. "
                                                                "Fixed once the metric has usage or a plan uses it.")
    filters = StrictJSONObjectField(required=False, help_text='e.g. {"region": ["eu", "uk"]}')
    group_by = StrictListField(child=StrictCharField(max_length=64, validators=[PROPERTY_NAME]), required=False,
                               max_length=5)


class MetricCreateInput(MetricAttrsInput):
    code = StrictCharField.of(BillableMetric, "code", validators=[METRIC_CODE],
                              help_text="What usage events name; never changes.")


class MetricUpdateInput(MetricAttrsInput):
    code = StrictCharField.of(BillableMetric, "code", required=False, help_text="Refused unless unchanged.")
    is_active = StrictBooleanField(required=False, help_text="false archives (as DELETE does).")


class MetricListQuery(StrictQuery):
    is_active = StrictBooleanField(required=False, allow_null=True, default=None)


class MetricListCreateView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = SCOPES

    @extend_schema(summary="List billable metrics (operator keys)", parameters=[MetricListQuery],
                   responses=MetricOutput(many=True))
    def get(self, request):
        """Billable metrics, what each measures and how it aggregates; `is_active` filters archived ones in or
        out. Operator keys only."""
        query = MetricListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self.paginated(request, metrics_all(is_active=query.validated_data["is_active"]), MetricOutput)

    @extend_schema(summary="Create a billable metric (operator keys)", request=MetricCreateInput,
                   responses={201: MetricOutput})
    def post(self, request):
        """Create a billable metric: its code (what usage events name), the aggregation and the property it
        reads, filters and grouping. Operator keys only."""
        data = MetricCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        metric = billable_metric_create(**data.validated_data)
        return Response(MetricOutput(metric).data, status=status.HTTP_201_CREATED)


class MetricDetailView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve a billable metric (operator keys)", responses=MetricOutput)
    def get(self, request, code: str):
        """One billable metric by its code. Operator keys only."""
        return Response(MetricOutput(get_object_or_404(BillableMetric, code=code)).data)

    @extend_schema(summary="Update a billable metric (operator keys; 409 when what it measures is fixed)",
                   request=MetricUpdateInput, responses=MetricOutput)
    def patch(self, request, code: str):
        """Change a metric's name, unit or description at any time; its code never, and what it measures
        (aggregation, property) only until it has usage or a plan uses it (409). Operator keys only."""
        metric = get_object_or_404(BillableMetric, code=code)
        data = MetricUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        metric = billable_metric_update(metric=metric, **data.validated_data)
        return Response(MetricOutput(metric).data)

    @extend_schema(summary="Archive a billable metric (operator keys; 409 naming the plans that still use it)",
                   request=None, responses=MetricOutput)
    def delete(self, request, code: str):
        """Archive the metric: it takes no new usage and nothing is deleted. Refused (409, naming the plans)
        while an active plan charges or limits it. Operator keys only."""
        expect_no_fields(request)
        metric = billable_metric_archive(metric=get_object_or_404(BillableMetric, code=code))
        return Response(MetricOutput(metric).data)
