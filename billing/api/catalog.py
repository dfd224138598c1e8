"""Plans over the API: the public list for account keys, full management for operator keys."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from billing.api.views import ApiView
from billing.models import (
    ChangeTiming,
    Interval,
    Plan,
    PlanCharge,
    PlanLimit,
    PlanPrice,
    ProrationBehavior,
)
from billing.selectors import plans_all, plans_public
from billing.services import plan_create, plan_pricing_change, plan_update

SCOPES = {"read": "billing:read", "write": "billing:write"}


def require_operator(request):
    if not request.auth.is_operator:
        raise PermissionDenied("Only operator API keys (keys without an account) may do this.")


class PriceOutput(serializers.ModelSerializer):
    class Meta:
        model = PlanPrice
        fields = ["currency", "flat_amount", "seat_amount"]


class ChargeOutput(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric.code")
    unit_price = serializers.DecimalField(max_digits=20, decimal_places=6, coerce_to_string=True)

    class Meta:
        model = PlanCharge
        fields = ["metric", "currency", "model", "unit_price", "block_size", "package_size", "free_units", "tiers"]


class LimitOutput(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric.code")

    class Meta:
        model = PlanLimit
        fields = ["metric", "included", "cap_mode", "overage_allowed", "grace_percent", "alert_thresholds"]


class PlanOutput(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version.version")
    included_seats = serializers.IntegerField(source="current_version.included_seats")
    max_seats = serializers.IntegerField(source="current_version.max_seats", allow_null=True)
    prices = PriceOutput(source="current_version.prices", many=True)
    charges = ChargeOutput(source="current_version.charges", many=True)
    limits = LimitOutput(source="current_version.limits", many=True)
    product = serializers.CharField(source="product.code", allow_null=True, default=None)

    class Meta:
        model = Plan
        fields = ["id", "code", "name", "description", "product", "interval", "interval_count", "trial_days",
                  "trial_end_behavior", "is_public", "is_active", "sort_order", "features", "upgrade_timing",
                  "downgrade_timing", "proration_behavior", "version", "included_seats", "max_seats", "prices",
                  "charges", "limits"]


class PriceInput(serializers.Serializer):
    flat_amount = serializers.IntegerField(min_value=0)
    seat_amount = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class PricingInput(serializers.Serializer):
    prices = serializers.DictField(child=PriceInput(), required=False,
                                   help_text='Per currency, minor units: {"USD": {"flat_amount": 9900}}')
    included_seats = serializers.IntegerField(min_value=-1, required=False)
    max_seats = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    charges = serializers.ListField(child=serializers.DictField(), required=False)
    limits = serializers.ListField(child=serializers.DictField(), required=False)


class PlanAttrsInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    interval = serializers.ChoiceField(choices=Interval.choices, required=False)
    interval_count = serializers.IntegerField(min_value=1, required=False)
    trial_days = serializers.IntegerField(min_value=0, required=False)
    is_public = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    sort_order = serializers.IntegerField(required=False)
    features = serializers.ListField(child=serializers.CharField(), required=False)
    upgrade_timing = serializers.ChoiceField(choices=ChangeTiming.choices, required=False)
    downgrade_timing = serializers.ChoiceField(choices=ChangeTiming.choices, required=False)
    proration_behavior = serializers.ChoiceField(choices=ProrationBehavior.choices, required=False)


class PlanCreateInput(PlanAttrsInput, PricingInput):
    code = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    prices = serializers.DictField(child=PriceInput())


def plan_queryset(request):
    qs = plans_all() if request.auth.is_operator else plans_public()
    return qs.prefetch_related("current_version__prices", "current_version__charges__metric",
                               "current_version__limits__metric")


class PlanListCreateView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="List plans (public ones for account keys, all for operator keys)",
                   responses=PlanOutput(many=True))
    def get(self, request):
        return self.paginated(request, plan_queryset(request).order_by("-id"), PlanOutput)

    @extend_schema(summary="Create a plan (operator keys)", request=PlanCreateInput, responses={201: PlanOutput})
    def post(self, request):
        require_operator(request)
        data = PlanCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_create(**data.validated_data)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data, status=status.HTTP_201_CREATED)


class PlanDetailView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve a plan", responses=PlanOutput)
    def get(self, request, code: str):
        return Response(PlanOutput(get_object_or_404(plan_queryset(request), code=code)).data)

    @extend_schema(summary="Update a plan's attributes (operator keys)", request=PlanAttrsInput,
                   responses=PlanOutput)
    def patch(self, request, code: str):
        require_operator(request)
        plan = get_object_or_404(Plan, code=code)
        data = PlanAttrsInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        plan_update(plan=plan, **data.validated_data)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data)

    @extend_schema(summary="Archive a plan: no new subscriptions (operator keys)", responses=PlanOutput)
    def delete(self, request, code: str):
        require_operator(request)
        plan = plan_update(plan=get_object_or_404(Plan, code=code), is_active=False, is_public=False)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data)


class PlanPricingView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Change a plan's pricing (a new version when it has subscribers; operator keys)",
                   request=PricingInput, responses=PlanOutput)
    def post(self, request, code: str):
        require_operator(request)
        plan = get_object_or_404(Plan, code=code)
        data = PricingInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan_pricing_change(plan=plan, **data.validated_data)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data)
