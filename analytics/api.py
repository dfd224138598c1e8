"""GET /api/v1/analytics/mrr and /api/v1/analytics/revenue-recognition (operator keys, billing:read).

Amounts in minor units of the currency asked for, never converted (docs/metrics.md, docs/api.md).
"""

from __future__ import annotations

import re
from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics.dashboard_reads import months_history
from analytics.months import months_between
from analytics.recognition import revenue_by_month
from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import StrictCharField, StrictQuery
from billing.api.views import ApiView

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 120


class MonthField(StrictCharField):
    """A calendar month as YYYY-MM; read as its first day."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        match = MONTH.match(text)
        if match is None or not 1970 <= int(match.group(1)) <= 2999:
            raise serializers.ValidationError("A month is written YYYY-MM (2027-01), from 1970 to 2999.")
        return date(int(match.group(1)), int(match.group(2)), 1)


class RangeQuery(StrictQuery):
    currency = StrictCharField(min_length=3, max_length=3, help_text="ISO 4217 code (USD); never converted.")
    from_ = MonthField(help_text="First month, YYYY-MM.")
    to = MonthField(help_text="Last month, YYYY-MM (at most 120 months after `from`).")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword as a parameter's name
        return fields

    def validate_currency(self, value):
        if not value.isalpha():
            raise serializers.ValidationError("Three letters (ISO 4217), such as USD.")
        return value.upper()

    def validate(self, attrs):
        first, last = attrs["from"], attrs["to"]
        if last < first:
            raise serializers.ValidationError({"to": ["Comes before `from`."]})
        if len(months_between(first, last)) > MAX_MONTHS:
            raise serializers.ValidationError({"to": [f"At most {MAX_MONTHS} months after `from`."]})
        return attrs


class MrrMonthOutput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    as_of = serializers.DateField(help_text="The snapshot day the month's closing figures come from.")
    mrr = serializers.IntegerField()
    arr = serializers.IntegerField(help_text="12 x mrr")
    new = serializers.IntegerField()
    expansion = serializers.IntegerField()
    contraction = serializers.IntegerField()
    churned = serializers.IntegerField()
    reactivated = serializers.IntegerField()


class MrrOutput(serializers.Serializer):
    currency = serializers.CharField()
    months = MrrMonthOutput(many=True, help_text="Months with a snapshot, oldest first; months without are left out.")


class RecognitionMonthOutput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    recognized = serializers.IntegerField()
    deferred = serializers.IntegerField(help_text="Invoiced by the month's end and not yet recognized.")


class RecognitionOutput(serializers.Serializer):
    currency = serializers.CharField()
    months = RecognitionMonthOutput(many=True)


class AnalyticsView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:read"

    def range(self, request) -> dict:
        query = RangeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


class MrrView(AnalyticsView):
    @extend_schema(summary="MRR and its movements per month (operator keys)", parameters=[RangeQuery],
                   responses=MrrOutput)
    def get(self, request):
        """Per month from `from` to `to`: MRR and ARR at the month's last snapshot day, and the movements
        that led there from the month before (new, expansion, contraction, churned, reactivated), in minor
        units of `currency`. `mrr` = previous `mrr` + new + expansion + reactivated - contraction - churned.
        Definitions: docs/metrics.md. Operator keys only."""
        asked = self.range(request)
        months = [{"month": f"{row.month:%Y-%m}", "as_of": row.as_of, "mrr": row.mrr, "arr": row.mrr * 12,
                   "new": row.new, "expansion": row.expansion, "contraction": row.contraction,
                   "churned": row.churned, "reactivated": row.reactivated}
                  for row in months_history(currency=asked["currency"], first=asked["from"], last=asked["to"])]
        return Response(MrrOutput({"currency": asked["currency"], "months": months}).data)


class RevenueRecognitionView(AnalyticsView):
    @extend_schema(summary="Recognized and deferred revenue per month (operator keys)", parameters=[RangeQuery],
                   responses=RecognitionOutput)
    def get(self, request):
        """Per month from `from` to `to`: revenue recognized in the month (each invoice line spread over its
        service period by day; one-off charges at issue; credit notes reversing what they credit) and revenue
        deferred at its end (invoiced, not yet recognized), net of discounts and tax, in minor units of
        `currency`. Definitions: docs/metrics.md. Operator keys only."""
        asked = self.range(request)
        rows = revenue_by_month(currency=asked["currency"], first=asked["from"], last=asked["to"])
        months = [{"month": f"{month:%Y-%m}", "recognized": row.recognized, "deferred": row.deferred}
                  for month, row in rows.items()]
        return Response(RecognitionOutput({"currency": asked["currency"], "months": months}).data)
