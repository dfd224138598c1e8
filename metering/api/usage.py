"""Usage reads: the current period against limits, one metric by hour or day, past periods."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from billing import clock
from billing.api.strict import (
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictIntegerField,
    StrictQuery,
)
from billing.errors import NotFound, ValidationFailed
from billing.models import Account, BillableMetric
from metering.api.common import MeteringApiView, account_for, decimal_text
from metering.selectors import current_usage, usage_history, usage_series


class UsageQuery(StrictQuery):
    account_id = StrictIntegerField.of(Account, "id", required=False,
                                       help_text="Operator keys: the account (or external_customer_id).")
    external_customer_id = StrictCharField.of(Account, "external_id", required=False)


class UsageHistoryQuery(UsageQuery):
    periods = StrictIntegerField(min_value=1, max_value=24, default=6, help_text="1-24, default 6.")


class MetricUsageQuery(UsageQuery):
    granularity = StrictChoiceField(choices=["hour", "day"], default="day")
    to = StrictDateTimeField(required=False, help_text="Default: now.")

    def get_fields(self):
        fields = super().get_fields()  # `from` is a Python keyword: it cannot be declared in the class body
        fields["from"] = StrictDateTimeField(required=False,
                                             help_text="Default: 30 days (day) or 48 hours (hour) ago.")
        return fields


def query_of(request, query_class: type[UsageQuery]) -> dict:
    query = query_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class MetricUsageOutput(serializers.Serializer):
    metric = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    aggregation = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    usage = serializers.CharField(help_text="Decimal as a string.")
    groups = serializers.DictField(child=serializers.CharField(), help_text="Per group key, when grouped.")
    limit = serializers.IntegerField(allow_null=True, help_text="Included units; null = unlimited.")
    percent_used = serializers.CharField(allow_null=True)
    cap_mode = serializers.CharField(allow_null=True)
    overage = serializers.CharField()
    projected_usage = serializers.CharField(help_text="Count and sum metrics: projected linearly to the period end.")
    currency = serializers.CharField(allow_null=True)
    overage_cost = serializers.IntegerField(help_text="Usage charge so far, minor units.")
    projected_overage_cost = serializers.IntegerField(help_text="Usage charge at the projected usage, minor units.")


class CurrentUsageOutput(serializers.Serializer):
    account_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    metrics = MetricUsageOutput(many=True)


def _metric_row(item) -> dict:
    return {
        "metric": item.metric.code, "name": item.metric.name, "unit": item.metric.unit,
        "aggregation": item.metric.aggregation, "period_start": item.period_start, "period_end": item.period_end,
        "usage": decimal_text(item.usage),
        "groups": {k: decimal_text(v) for k, v in item.groups.items() if k},
        "limit": item.limit, "percent_used": decimal_text(item.percent_used),
        "cap_mode": item.entitlement.cap_mode if item.entitlement else None,
        "overage": decimal_text(item.overage), "projected_usage": decimal_text(item.projected_usage),
        "currency": item.currency, "overage_cost": item.overage_cost,
        "projected_overage_cost": item.projected_overage_cost,
    }


class CurrentUsageView(MeteringApiView):
    required_scopes = "usage:read"

    @extend_schema(summary="Usage of the current period", parameters=[UsageQuery],
                   description="Per metric of the account's plan: usage (live: includes every accepted event), "
                   "limit, percentage used, overage and its cost, projected to the period end.",
                   responses=CurrentUsageOutput)
    def get(self, request):
        account_id = account_for(request, query_of(request, UsageQuery))
        usage = current_usage(account_id=account_id)
        return Response(CurrentUsageOutput({"account_id": account_id, "at": usage.at,
                                            "metrics": [_metric_row(m) for m in usage.metrics]}).data)


class HistoryUsageOutput(serializers.Serializer):
    metric = serializers.CharField()
    group = serializers.CharField(allow_blank=True, help_text="The group (e.g. `model=small|region=eu`); "
                                  "empty when the metric is not grouped.")
    quantity = serializers.CharField(help_text="Decimal as a string.")


class HistoryPeriodOutput(serializers.Serializer):
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    usage = HistoryUsageOutput(many=True)


class UsageHistoryView(MeteringApiView):
    required_scopes = "usage:read"
    pagination_class = None  # one list of periods (`periods`), not pages

    @extend_schema(summary="Usage of past periods",
                   parameters=[UsageHistoryQuery], responses=HistoryPeriodOutput(many=True))
    def get(self, request):
        """The account's usage in each of its last `periods` billing periods (1-24, default 6), per metric and
        group, as decimal strings; the current period is `/usage/current`."""
        query = query_of(request, UsageHistoryQuery)
        history = usage_history(account_id=account_for(request, query), periods=query["periods"])
        data = [{"period_start": p["period_start"], "period_end": p["period_end"],
                 "usage": [{"metric": code, "group": group, "quantity": decimal_text(q)}
                           for (code, group), q in p["usage"].items()]} for p in history]
        return Response(HistoryPeriodOutput(data, many=True).data)


class BucketOutput(serializers.Serializer):
    start = serializers.DateTimeField()
    group = serializers.CharField()
    events = serializers.IntegerField(allow_null=True)
    value = serializers.CharField()


class MetricSeriesOutput(serializers.Serializer):
    metric = serializers.CharField()
    granularity = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    buckets = BucketOutput(many=True)


class MetricUsageView(MeteringApiView):
    required_scopes = "usage:read"

    @extend_schema(summary="One metric by hour or day",
                   parameters=[MetricUsageQuery], responses=MetricSeriesOutput)
    def get(self, request, metric):
        """One metric's usage by hour or day between `from` and `to` (at most 400 days), per group, with the
        number of events in each bucket."""
        query = query_of(request, MetricUsageQuery)
        account_id = account_for(request, query)
        found = BillableMetric.objects.filter(code=metric).first()
        if found is None:
            raise NotFound(f"Unknown metric '{metric}'.")
        granularity = query["granularity"]
        end = query.get("to") or clock.now()
        start = query.get("from") or end - (timedelta(days=30) if granularity == "day" else timedelta(hours=48))
        if start >= end:
            raise ValidationFailed({"from": "Must be before 'to'."})
        if end - start > timedelta(days=400):
            raise ValidationFailed({"from": "At most 400 days at once."})
        buckets = usage_series(account_id=account_id, metric=found, start=start, end=end, granularity=granularity)
        return Response(MetricSeriesOutput({
            "metric": found.code, "granularity": granularity, "start": start, "end": end,
            "buckets": [{"start": b.start, "group": b.group_key, "events": b.events, "value": decimal_text(b.value)}
                        for b in buckets]}).data)
