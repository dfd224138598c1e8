"""Usage reads: the current period against limits, one metric by hour or day, past periods."""

from __future__ import annotations

from datetime import timedelta

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from billing import clock
from billing.errors import NotFound, ValidationFailed
from metering.api.common import MeteringApiView, account_for, decimal_text
from metering.models import BillableMetric
from metering.selectors import current_usage, usage_history, usage_series

ACCOUNT_PARAMS = [
    OpenApiParameter("account_id", int, description="Operator keys: the account (or external_customer_id)."),
    OpenApiParameter("external_customer_id", str),
]


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

    @extend_schema(summary="Usage of the current period", parameters=ACCOUNT_PARAMS,
                   description="Per metric of the account's plan: usage (live: includes every accepted event), "
                   "limit, percentage used, overage and its cost, projected to the period end.",
                   responses=CurrentUsageOutput)
    def get(self, request):
        account_id = account_for(request, request.query_params)
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
                   parameters=[*ACCOUNT_PARAMS, OpenApiParameter("periods", int, description="1-24, default 6.")],
                   responses=HistoryPeriodOutput(many=True))
    def get(self, request):
        account_id = account_for(request, request.query_params)
        try:
            periods = int(request.query_params.get("periods", 6))
        except ValueError:
            periods = 0
        if not 1 <= periods <= 24:
            raise ValidationFailed({"periods": "Must be an integer from 1 to 24."})
        history = usage_history(account_id=account_id, periods=periods)
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


def _moment(request, name):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    moment = parse_datetime(raw)
    if moment is None or moment.tzinfo is None:
        raise ValidationFailed({name: "An ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z."})
    return moment


class MetricUsageView(MeteringApiView):
    required_scopes = "usage:read"

    @extend_schema(summary="One metric by hour or day",
                   parameters=[*ACCOUNT_PARAMS, OpenApiParameter("granularity", str, enum=["hour", "day"]),
                               OpenApiParameter("from", str, description="Default: 30 days (day) or 48 hours (hour) ago."),
                               OpenApiParameter("to", str, description="Default: now.")],
                   responses=MetricSeriesOutput)
    def get(self, request, metric):
        account_id = account_for(request, request.query_params)
        found = BillableMetric.objects.filter(code=metric).first()
        if found is None:
            raise NotFound(f"Unknown metric '{metric}'.")
        granularity = request.query_params.get("granularity", "day")
        end = _moment(request, "to") or clock.now()
        start = _moment(request, "from") or end - (timedelta(days=30) if granularity == "day" else timedelta(hours=48))
        if start >= end:
            raise ValidationFailed({"from": "Must be before 'to'."})
        if end - start > timedelta(days=400):
            raise ValidationFailed({"from": "At most 400 days at once."})
        buckets = usage_series(account_id=account_id, metric=found, start=start, end=end, granularity=granularity)
        return Response(MetricSeriesOutput({
            "metric": found.code, "granularity": granularity, "start": start, "end": end,
            "buckets": [{"start": b.start, "group": b.group_key, "events": b.events, "value": decimal_text(b.value)}
                        for b in buckets]}).data)
