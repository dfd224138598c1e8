"""Subscriptions over the API: create, list, retrieve, change (with preview), cancel, pause, resume.

Account keys act on their own account's subscriptions only; operator keys on any,
naming the account when they create one.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.catalog import TierInput, require_operator, sizes_checked
from billing.api.strict import (
    MinorUnitsField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictDecimalField,
    StrictInput,
    StrictIntegerField,
    StrictJSONObjectField,
    StrictQuery,
    StrictSlugField,
    expect_no_fields,
)
from billing.api.views import ApiView
from billing.errors import InvalidTransition, ValidationFailed
from billing.models import (
    Account,
    BillableMetric,
    CapMode,
    ChangeTiming,
    ChargeModel,
    CollectionMethod,
    Plan,
    PromotionCode,
    ProrationBehavior,
    ScheduledChange,
    Subscription,
    SubscriptionMetricOverride,
    SubscriptionStatus,
)
from billing.selectors import discounts_active, plan_choosable, subscriptions_of
from billing.services import (
    discount_apply,
    discount_remove,
    subscription_cancel,
    subscription_cancel_undo,
    subscription_change,
    subscription_change_preview,
    subscription_create,
    subscription_overrides_set,
    subscription_pause,
    subscription_resume,
    subscription_scheduled_change_cancel,
    subscription_trial_end,
)

SCOPES = {"read": "billing:read", "write": "billing:write"}


class ScheduledChangeOutput(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan_version.plan.code", allow_null=True)
    plan_version = serializers.IntegerField(source="plan_version.version", allow_null=True)

    class Meta:
        model = ScheduledChange
        fields = ["plan", "plan_version", "quantity", "effective_at"]


class SubscriptionOutput(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.code")
    plan_version = serializers.IntegerField(source="plan_version.version")
    scheduled_change = serializers.SerializerMethodField()
    discount = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = ["id", "account_id", "plan", "plan_version", "currency", "quantity", "status",
                  "billing_cycle_anchor", "current_period_start", "current_period_end", "started_at",
                  "trial_start", "trial_end", "cancel_at_period_end", "canceled_at", "ended_at", "paused_at",
                  "bill_during_pause", "resume_at", "flat_amount_override", "seat_amount_override",
                  "included_seats_override", "scheduled_change", "discount", "metadata", "created_at"]

    def get_scheduled_change(self, sub) -> dict | None:
        change = sub.scheduled_changes.filter(status="pending").select_related("plan_version__plan").first()
        return ScheduledChangeOutput(change).data if change else None

    def get_discount(self, sub) -> dict | None:
        discount = sub.discounts.filter(status="active").select_related("coupon").first()
        if discount is None:
            return None
        return {"coupon": discount.coupon.code, "percent_off": discount.coupon.percent_off,
                "amount_off": discount.coupon.amount_off, "periods_total": discount.periods_total,
                "periods_used": discount.periods_used}


class SubscriptionCreateInput(StrictInput):
    account_id = StrictIntegerField.of(Account, "id", required=False,
                                       help_text="Operator keys only; account keys use theirs.")
    plan = StrictSlugField.of(Plan, "code", help_text="Plan code.")
    quantity = StrictIntegerField.of(Subscription, "quantity", min_value=1, default=1, help_text="Seats.")
    currency = StrictCharField.of(Subscription, "currency", required=False,
                                  help_text="ISO 4217; default: the billing profile's.")
    trial_days = StrictIntegerField.of(Plan, "trial_days", required=False, help_text="Operator keys only.")
    start_at = StrictDateTimeField(required=False, help_text="Operator keys only.")
    coupon = StrictCharField.of(PromotionCode, "code", required=False,
                                help_text="Promotion code (operator keys: also a coupon's own code).")
    metadata = StrictJSONObjectField(required=False)


class ChangeInput(StrictInput):
    plan = StrictSlugField.of(Plan, "code", required=False)
    quantity = StrictIntegerField.of(Subscription, "quantity", min_value=1, required=False)
    timing = StrictChoiceField(choices=ChangeTiming.choices, required=False)
    proration_behavior = StrictChoiceField(choices=ProrationBehavior.choices, required=False,
                                           help_text="Operator keys only; account keys get the plan's.")
    preview = StrictBooleanField(default=False, help_text="Only compute what the change would cost.")


class ProrationLineOutput(serializers.Serializer):
    kind = serializers.CharField()
    description = serializers.CharField()
    amount = serializers.IntegerField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    proration_factor = serializers.DecimalField(max_digits=14, decimal_places=10)


class ChangeOutput(serializers.Serializer):
    preview = serializers.SerializerMethodField()
    timing = serializers.CharField()
    proration_behavior = serializers.CharField()
    effective_at = serializers.DateTimeField()
    plan = serializers.CharField(source="new_plan_version.plan.code")
    quantity = serializers.IntegerField(source="new_quantity")
    currency = serializers.CharField()
    proration = ProrationLineOutput(many=True)
    proration_total = serializers.IntegerField()
    amount_due_now = serializers.IntegerField()
    next_renewal_at = serializers.DateTimeField()
    next_renewal_amount = serializers.IntegerField(help_text="Flat and seat fees, before usage, discounts, tax.")
    subscription = serializers.SerializerMethodField()

    def get_preview(self, change) -> bool:
        return self.context.get("subscription") is None

    def get_subscription(self, change) -> dict | None:
        sub = self.context.get("subscription")
        return SubscriptionOutput(sub).data if sub is not None else None


class CancelInput(StrictInput):
    at_period_end = StrictBooleanField(default=True)
    reason = StrictCharField.of(Subscription, "cancel_reason", required=False, allow_blank=True, default="")
    proration_behavior = StrictChoiceField(choices=ProrationBehavior.choices, default="none",
                                           help_text="Other than none: operator keys only.")


class PauseInput(StrictInput):
    bill_during_pause = StrictBooleanField(default=False)
    resume_at = StrictDateTimeField(required=False, allow_null=True)


class MetricOverrideInput(StrictInput):
    metric = StrictSlugField.of(BillableMetric, "code", help_text="Code of a billable metric.")
    charge_model = StrictChoiceField(choices=ChargeModel.choices, required=False)
    unit_price = StrictDecimalField.of(SubscriptionMetricOverride, "unit_price", min_value=0, required=False,
                                       help_text='Major units, up to 6 decimals, as a string: "0.0005".')
    block_size = StrictIntegerField.of(SubscriptionMetricOverride, "block_size", min_value=1, required=False)
    package_size = StrictIntegerField.of(SubscriptionMetricOverride, "package_size", min_value=1, required=False)
    free_units = StrictIntegerField.of(SubscriptionMetricOverride, "free_units", min_value=0, required=False)
    tiers = TierInput(many=True, required=False)
    included = StrictIntegerField.of(SubscriptionMetricOverride, "included", min_value=-1, required=False,
                                     help_text="-1: unlimited.")
    cap_mode = StrictChoiceField(choices=CapMode.choices, required=False)
    overage_allowed = StrictBooleanField(required=False)

    def validate(self, attrs):
        return sizes_checked(attrs, attrs.get("charge_model"))


class OverridesInput(StrictInput):
    flat_amount = MinorUnitsField.of(Subscription, "flat_amount_override", min_value=0, required=False)
    seat_amount = MinorUnitsField.of(Subscription, "seat_amount_override", min_value=0, required=False)
    included_seats = StrictIntegerField.of(Subscription, "included_seats_override", min_value=-1, required=False,
                                           help_text="-1: unlimited.")
    metrics = MetricOverrideInput(many=True, required=False)
    clear = StrictBooleanField(default=False, help_text="Remove every override first.")


class SubscriptionListQuery(StrictQuery):
    account_id = StrictIntegerField.of(Account, "id", required=False,
                                       help_text="Operator keys: only this account's subscriptions.")
    status = StrictChoiceField(choices=SubscriptionStatus.choices, required=False)


class CouponApplyInput(StrictInput):
    code = StrictCharField.of(PromotionCode, "code", help_text="A promotion code (operator keys: or a coupon's code).")


def scoped(request):
    return subscriptions_of(account_id=request.auth.account_id)  # None for operator keys: every account


def subscription_for(request, subscription_id: int) -> Subscription:
    return get_object_or_404(scoped(request), pk=subscription_id)


def refuse_for_account_keys(request, values: dict, names: tuple[str, ...], allowed: dict | None = None) -> None:
    """Account keys are made by customers in the console: commercial terms (a trial of their choosing, a
    start date, a proration policy other than the plan's) are the operator's to give."""
    if request.auth.is_operator:
        return
    refused = {name: "Only operator keys (keys without an account) may set this."
               for name in names if name in values and values[name] != (allowed or {}).get(name, object())}
    if refused:
        raise ValidationFailed(refused)


def plan_by_code(request, code: str, field: str = "plan") -> Plan:
    """Account keys may pick public plans only; private plans are sold by finance (operator keys)."""
    plan = plan_choosable(code=code, by_operator=request.auth.is_operator)
    if plan is None:
        raise ValidationFailed({field: f"No plan {code!r}."})
    return plan


class SubscriptionListCreateView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="List subscriptions", parameters=[SubscriptionListQuery],
                   responses=SubscriptionOutput(many=True))
    def get(self, request):
        """Subscriptions, newest first, with any pending scheduled change and active discount. An account key
        sees its own account's; an operator key may filter by `account_id`. Filter by `status`."""
        query = SubscriptionListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        qs = scoped(request)
        if request.auth.is_operator and "account_id" in filters:
            qs = qs.filter(account_id=filters["account_id"])
        if "status" in filters:
            qs = qs.filter(status=filters["status"])
        return self.paginated(request, qs.order_by("-id"), SubscriptionOutput)

    @extend_schema(summary="Create a subscription", request=SubscriptionCreateInput,
                   responses={201: SubscriptionOutput})
    def post(self, request):
        """Subscribe an account to a plan, at a quantity of seats, optionally with a promotion code. An
        account key subscribes its own account to public plans; operator keys also give trials, start dates
        and coupons by their own code. The first invoice follows the plan's terms."""
        data = SubscriptionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        refuse_for_account_keys(request, values, ("trial_days", "start_at"))
        metadata_collection_check(request, values.get("metadata"))
        account_id = request.auth.account_id or values.get("account_id")
        if request.auth.account_id and values.get("account_id") not in (None, request.auth.account_id):
            raise ValidationFailed({"account_id": "An account key can only subscribe its own account."})
        account = Account.objects.filter(pk=account_id).first() if account_id else None
        if account is None:
            raise ValidationFailed({"account_id": "Give the id of an existing account."})
        sub = subscription_create(account=account, plan=plan_by_code(request, values["plan"]),
                                  quantity=values["quantity"], currency=values.get("currency"), trial_days=values.get("trial_days"),
                                  start_at=values.get("start_at"), coupon_code=values.get("coupon"),
                                  metadata=values.get("metadata"),
                                  promotion_code_only=not request.auth.is_operator)
        return Response(SubscriptionOutput(sub).data, status=status.HTTP_201_CREATED)


def metadata_collection_check(request, metadata: dict | None) -> None:
    """`metadata.collection_method` decides how the subscription's invoices are collected: set by operator
    keys only (as the billing profile's), and one of the two methods."""
    if not metadata or "collection_method" not in metadata:
        return
    if not request.auth.is_operator:
        raise ValidationFailed({"metadata": "Only operator keys may set collection_method."})
    if metadata["collection_method"] not in CollectionMethod.values:
        raise ValidationFailed({"metadata": f"collection_method must be one of {', '.join(CollectionMethod.values)}."})


class SubscriptionDetailView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve a subscription", responses=SubscriptionOutput)
    def get(self, request, subscription_id: int):
        """One subscription. An account key may read only its own account's (404 for any other)."""
        return Response(SubscriptionOutput(subscription_for(request, subscription_id)).data)


class SubscriptionChangeView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Change plan or seats (preview=true computes the cost and writes nothing)",
                   request=ChangeInput, responses=ChangeOutput)
    def post(self, request, subscription_id: int):
        """Move to another plan and/or number of seats, now (with prorations) or at the period end (a
        scheduled change); the defaults come from the target plan (upgrades now, downgrades at the period
        end). With `preview: true` nothing is written: the answer is what the change would cost."""
        sub = subscription_for(request, subscription_id)
        data = ChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        refuse_for_account_keys(request, values, ("proration_behavior",))
        preview = values.pop("preview") or request.query_params.get("preview") == "true"
        plan = plan_by_code(request, values.pop("plan")) if values.get("plan") else None
        if preview:
            change = subscription_change_preview(subscription=sub, plan=plan, **values)
            return Response(ChangeOutput(change).data)
        change = subscription_change(subscription=sub, plan=plan, **values)
        return Response(ChangeOutput(change, context={"subscription": subscription_for(request, sub.pk)}).data)


class SubscriptionScheduledChangeCancelView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Drop the pending scheduled change", request=None, responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """Drop the change scheduled for the period end; the subscription stays as it is."""
        expect_no_fields(request)
        sub = subscription_scheduled_change_cancel(subscription=subscription_for(request, subscription_id))
        return Response(SubscriptionOutput(sub).data)


class SubscriptionCancelView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Cancel at period end (default) or now", request=CancelInput,
                   responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """Cancel at the end of the period (the default, which `undo-cancel` takes back) or now; canceling now
        may credit the unused time (operator keys choose the proration)."""
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        refuse_for_account_keys(request, data.validated_data, ("proration_behavior",),
                                allowed={"proration_behavior": ProrationBehavior.NONE})
        sub = subscription_cancel(subscription=subscription_for(request, subscription_id), **data.validated_data)
        return Response(SubscriptionOutput(sub).data)


class SubscriptionUndoCancelView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Keep a subscription set to cancel at period end", request=None,
                   responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """Keep a subscription that was set to cancel at the period end."""
        expect_no_fields(request)
        return Response(SubscriptionOutput(
            subscription_cancel_undo(subscription=subscription_for(request, subscription_id))).data)


class SubscriptionPauseView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Pause (optionally still billing, optionally resuming by itself)", request=PauseInput,
                   responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """Pause the service: invoicing stops unless `bill_during_pause` keeps the flat fee; with `resume_at`
        it resumes by itself."""
        data = PauseInput(data=request.data)
        data.is_valid(raise_exception=True)
        sub = subscription_pause(subscription=subscription_for(request, subscription_id), **data.validated_data)
        return Response(SubscriptionOutput(sub).data)


class SubscriptionResumeView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Resume a paused subscription", request=None, responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """Resume a paused subscription now."""
        expect_no_fields(request)
        return Response(SubscriptionOutput(
            subscription_resume(subscription=subscription_for(request, subscription_id))).data)


class SubscriptionEndTrialView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="End the trial now", request=None, responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """End the trial now: the subscription becomes active (or incomplete while its first invoice is
        unpaid, or canceled when the plan says so) and its first paid period starts."""
        expect_no_fields(request)
        return Response(SubscriptionOutput(
            subscription_trial_end(subscription=subscription_for(request, subscription_id))).data)


class SubscriptionOverridesView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Set the subscription's own prices and limits (operator keys)", request=OverridesInput,
                   responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """An enterprise deal: this subscription's own flat price, seat price, included seats, and charges or
        limits per metric, in place of the plan's (`clear` removes every override first). Operator keys only.
        """
        require_operator(request)
        sub = subscription_for(request, subscription_id)
        data = OverridesInput(data=request.data)
        data.is_valid(raise_exception=True)
        sub = subscription_overrides_set(subscription=sub, **data.validated_data)
        return Response(SubscriptionOutput(sub).data)


class SubscriptionCouponView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Apply a coupon or promotion code", request=CouponApplyInput, responses=SubscriptionOutput)
    def post(self, request, subscription_id: int):
        """Apply a promotion code (operator keys: also a coupon by its own code), replacing the active
        discount; refused when the coupon is not valid for the subscription's plan or is used up."""
        sub = subscription_for(request, subscription_id)
        data = CouponApplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        discount_apply(subscription=sub, code=data.validated_data["code"],
                       promotion_code_only=not request.auth.is_operator)
        return Response(SubscriptionOutput(subscription_for(request, sub.pk)).data)

    @extend_schema(summary="Remove the active discount", responses=SubscriptionOutput)
    def delete(self, request, subscription_id: int):
        """Remove the active discount from the next invoices (409 when there is none)."""
        expect_no_fields(request)
        sub = subscription_for(request, subscription_id)
        discount = discounts_active(subscription_id=sub.pk).first()
        if discount is None:
            raise InvalidTransition("This subscription has no active discount.")
        discount_remove(discount=discount)
        return Response(SubscriptionOutput(sub).data)
