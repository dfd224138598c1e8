"""Plans over the API: the public list for account keys, full management for operator keys."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from billing.api.strict import (
    MinorUnitsField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDecimalField,
    StrictDictField,
    StrictInput,
    StrictIntegerField,
    StrictListField,
    StrictSlugField,
    expect_no_fields,
    expect_no_parameters,
)
from billing.api.views import ApiView
from billing.models import (
    BillableMetric,
    CapMode,
    ChangeTiming,
    ChargeModel,
    Interval,
    Plan,
    PlanCharge,
    PlanLimit,
    PlanPrice,
    PlanVersion,
    ProrationBehavior,
    TrialEndBehavior,
)
from billing.selectors import plans_all, plans_public
from billing.services import plan_create, plan_pricing_change, plan_update

SCOPES = {"read": "billing:read", "write": "billing:write"}
MAX_INTERVAL_COUNT = 100


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


class PriceInput(StrictInput):
    flat_amount = MinorUnitsField.of(PlanPrice, "flat_amount")
    seat_amount = MinorUnitsField.of(PlanPrice, "seat_amount", required=False, allow_null=True,
                                     help_text="Minor units per seat above the included seats; null: seats not sold.")


class TierInput(StrictInput):
    up_to = StrictIntegerField.of(PlanLimit, "included", min_value=1, required=False, allow_null=True,
                                  help_text="Last unit of the tier (inclusive); null for the last, open-ended tier.")
    unit_price = StrictDecimalField.of(PlanCharge, "unit_price", min_value=0, required=False,
                                       help_text='Major units per block_size units, as a string: "0.01".')
    flat_fee = MinorUnitsField.of(PlanPrice, "flat_amount", required=False,
                                  help_text="Minor units charged once when the tier is entered.")


class ChargeInput(StrictInput):
    """A usage charge: `package` charges per started package of `package_size` units; the
    other models price per `block_size` units (1 unless given)."""

    metric = StrictSlugField.of(BillableMetric, "code", help_text="Code of a billable metric.")
    currency = StrictCharField.of(PlanCharge, "currency", help_text="ISO 4217 code, e.g. USD.")
    model = StrictChoiceField(choices=ChargeModel.choices, required=False, help_text="Default: standard.")
    unit_price = StrictDecimalField.of(PlanCharge, "unit_price", min_value=0, required=False,
                                       help_text='Major units, up to 6 decimals, as a string: "0.000001".')
    block_size = StrictIntegerField.of(PlanCharge, "block_size", required=False,
                                       help_text="standard, graduated, volume: prices are per this many units.")
    package_size = StrictIntegerField.of(PlanCharge, "package_size", required=False,
                                         help_text="package: units per package (every started one is charged).")
    free_units = StrictIntegerField.of(PlanCharge, "free_units", required=False,
                                       help_text="Units taken off the period's quantity before any price.")
    tiers = TierInput(many=True, required=False, help_text="graduated and volume: ends with up_to null.")

    def validate(self, attrs):
        return sizes_checked(attrs, attrs.get("model", ChargeModel.STANDARD))


def sizes_checked(attrs: dict, model: str | None) -> dict:
    """A size the charge model does not read is refused rather than ignored: a package charge
    given `block_size` (not `package_size`) would bill every unit as a package."""
    if model == ChargeModel.PACKAGE and attrs.get("block_size", 1) != 1:
        raise serializers.ValidationError({"block_size": [
            "A package charge counts packages of package_size units; block_size does not apply."]})
    if model and model != ChargeModel.PACKAGE and attrs.get("package_size", 1) != 1:
        raise serializers.ValidationError({"package_size": [
            f"Only package charges have a package_size; a {model} charge prices per block_size units."]})
    return attrs


class LimitInput(StrictInput):
    metric = StrictSlugField.of(BillableMetric, "code", help_text="Code of a billable metric.")
    included = StrictIntegerField.of(PlanLimit, "included", min_value=-1, required=False,
                                     help_text="Units included per period; -1 (the default): unlimited.")
    cap_mode = StrictChoiceField(choices=CapMode.choices, required=False, help_text="Default: soft.")
    overage_allowed = StrictBooleanField(required=False, help_text="Default: true.")
    grace_percent = StrictIntegerField.of(PlanLimit, "grace_percent", required=False,
                                          help_text="A hard cap refuses above the limit plus this percentage.")
    alert_thresholds = StrictListField(child=StrictIntegerField.of(PlanLimit, "alert_thresholds", min_value=1),
                                       required=False, help_text="Percentages of the limit; default [80, 100, 120].")


class PricingInput(StrictInput):
    prices = StrictDictField(child=PriceInput(), required=False,
                             help_text='Per currency, minor units: {"USD": {"flat_amount": 9900}}')
    included_seats = StrictIntegerField.of(PlanVersion, "included_seats", min_value=-1, required=False,
                                           help_text="Seats the flat amount covers; -1: unlimited.")
    max_seats = StrictIntegerField.of(PlanVersion, "max_seats", min_value=1, required=False, allow_null=True)
    charges = ChargeInput(many=True, required=False)
    limits = LimitInput(many=True, required=False)


class PlanAttrsInput(StrictInput):
    name = StrictCharField.of(Plan, "name", required=False)
    description = StrictCharField.of(Plan, "description", required=False, allow_blank=True)
    interval = StrictChoiceField(choices=Interval.choices, required=False)
    # The column takes 32,767, but a period of 32,767 years ends past the last date Python holds (500 on
    # subscribe); a century is more than any price per period needs.
    interval_count = StrictIntegerField.of(Plan, "interval_count", max_value=MAX_INTERVAL_COUNT, required=False)
    trial_days = StrictIntegerField.of(Plan, "trial_days", required=False)
    trial_end_behavior = StrictChoiceField(choices=TrialEndBehavior.choices, required=False)
    is_public = StrictBooleanField(required=False)
    is_active = StrictBooleanField(required=False)
    sort_order = StrictIntegerField.of(Plan, "sort_order", required=False)
    features = StrictListField(child=StrictCharField(), required=False)
    upgrade_timing = StrictChoiceField(choices=ChangeTiming.choices, required=False)
    downgrade_timing = StrictChoiceField(choices=ChangeTiming.choices, required=False)
    proration_behavior = StrictChoiceField(choices=ProrationBehavior.choices, required=False)


class PlanCreateInput(PlanAttrsInput, PricingInput):
    code = StrictSlugField.of(Plan, "code")
    name = StrictCharField.of(Plan, "name")
    prices = StrictDictField(child=PriceInput(),
                             help_text='Per currency, minor units: {"USD": {"flat_amount": 9900}}')


def plan_queryset(request):
    qs = plans_all() if request.auth.is_operator else plans_public()
    return qs.prefetch_related("current_version__prices", "current_version__charges__metric",
                               "current_version__limits__metric")


class PlanListCreateView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="List plans (public ones for account keys, all for operator keys)",
                   responses=PlanOutput(many=True))
    def get(self, request):
        """Plans with their current version's prices, charges and limits, newest first. An account key sees
        the plans customers may pick (public and active); an operator key sees every plan, archived ones
        included."""
        expect_no_parameters(request)
        return self.paginated(request, plan_queryset(request).order_by("-id"), PlanOutput)

    @extend_schema(summary="Create a plan (operator keys)", request=PlanCreateInput, responses={201: PlanOutput})
    def post(self, request):
        """Create a plan and its first version: prices per currency in minor units, included seats, usage
        charges and limits. Operator keys only; the code is the plan's permanent name."""
        require_operator(request)
        data = PlanCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_create(**data.validated_data)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data, status=status.HTTP_201_CREATED)


class PlanDetailView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve a plan", responses=PlanOutput)
    def get(self, request, code: str):
        """One plan by its code, with its current version. An account key sees public, active plans only (404
        for any other)."""
        return Response(PlanOutput(get_object_or_404(plan_queryset(request), code=code)).data)

    @extend_schema(summary="Update a plan's attributes (operator keys)", request=PlanAttrsInput,
                   responses=PlanOutput)
    def patch(self, request, code: str):
        """Change what carries no price: name, description, visibility, trial, features, change timings.
        Prices, seats, charges and limits change through `/pricing`. Operator keys only."""
        require_operator(request)
        plan = get_object_or_404(Plan, code=code)
        data = PlanAttrsInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        plan_update(plan=plan, **data.validated_data)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data)

    @extend_schema(summary="Archive a plan: no new subscriptions (operator keys)", responses=PlanOutput)
    def delete(self, request, code: str):
        """Archive the plan: it is no longer public and takes no new subscription; its subscribers keep it,
        and nothing is deleted. Answers the archived plan. Operator keys only."""
        expect_no_fields(request)
        require_operator(request)
        plan = plan_update(plan=get_object_or_404(Plan, code=code), is_active=False, is_public=False)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data)


class PlanPricingView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Change a plan's pricing (a new version when it has subscribers; operator keys)",
                   request=PricingInput, responses=PlanOutput)
    def post(self, request, code: str):
        """Replace the parts given (prices, seats, charges, limits). A plan with subscribers gets a new
        version, and its subscribers keep the version they have (grandfathered) until moved; without
        subscribers the current version changes in place. Operator keys only."""
        require_operator(request)
        plan = get_object_or_404(Plan, code=code)
        data = PricingInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan_pricing_change(plan=plan, **data.validated_data)
        return Response(PlanOutput(plan_queryset(request).get(pk=plan.pk)).data)
