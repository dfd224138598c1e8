"""Accounts, billing profiles, credits and coupons over the API."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.catalog import require_operator
from billing.api.views import ApiView
from billing.errors import ValidationFailed
from billing.models import Account, BillingProfile, Coupon, CouponDuration, CreditEntry, Plan
from billing.selectors import coupons_all, credit_balance
from billing.services import (
    account_create,
    billing_profile_update,
    coupon_create,
    credit_grant,
    promotion_code_create,
)
from billing.services.customers import PROFILE_FIELDS

SCOPES = {"read": "billing:read", "write": "billing:write"}


def account_for(request, account_id: int) -> Account:
    qs = Account.objects.all()
    if not request.auth.is_operator:
        qs = qs.filter(pk=request.auth.account_id)
    return get_object_or_404(qs, pk=account_id)


class AccountOutput(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "external_id", "is_active", "created_at"]


class AccountCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    external_id = serializers.CharField(max_length=128, required=False, allow_null=True)


class BillingProfileOutput(serializers.ModelSerializer):
    updated_at = serializers.DateTimeField(allow_null=True, read_only=True,
                                           help_text="null until the profile is first saved.")

    class Meta:
        model = BillingProfile
        fields = ["account_id", *PROFILE_FIELDS, "currency_locked_at", "updated_at"]


class BillingProfileInput(serializers.Serializer):
    legal_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    tax_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    tax_id_type = serializers.CharField(max_length=16, required=False, allow_blank=True)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    preferred_language = serializers.CharField(max_length=10, required=False)
    invoice_notes = serializers.CharField(required=False, allow_blank=True)
    stripe_customer_id = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                               help_text="Operator keys only: the Stripe customer charged.")
    metadata = serializers.DictField(required=False)


class CreditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = CreditEntry
        fields = ["id", "kind", "amount", "currency", "reason", "expires_at", "grant_id", "reference", "created_at"]


class CreditGrantInput(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, help_text="Minor units.")
    currency = serializers.CharField(max_length=3)
    reason = serializers.CharField(max_length=200)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class CouponOutput(serializers.ModelSerializer):
    plans = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    promotion_codes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Coupon
        fields = ["id", "code", "name", "percent_off", "amount_off", "currency", "duration", "duration_in_periods",
                  "plans", "max_redemptions", "times_redeemed", "redeem_by", "is_active", "promotion_codes"]


class CouponInput(serializers.Serializer):
    code = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    percent_off = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    amount_off = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    duration = serializers.ChoiceField(choices=CouponDuration.choices, default=CouponDuration.ONCE)
    duration_in_periods = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    plans = serializers.ListField(child=serializers.SlugField(), required=False, help_text="Plan codes.")
    max_redemptions = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    redeem_by = serializers.DateTimeField(required=False, allow_null=True)


class PromotionCodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    max_redemptions = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class AccountListCreateView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="List accounts (an account key sees its own)", responses=AccountOutput(many=True))
    def get(self, request):
        qs = Account.objects.all()
        if not request.auth.is_operator:
            qs = qs.filter(pk=request.auth.account_id)
        return self.paginated(request, qs.order_by("-id"), AccountOutput)

    @extend_schema(summary="Create an account (operator keys)", request=AccountCreateInput,
                   responses={201: AccountOutput})
    def post(self, request):
        require_operator(request)
        data = AccountCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(AccountOutput(account_create(**data.validated_data)).data, status=status.HTTP_201_CREATED)


class AccountDetailView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve an account", responses=AccountOutput)
    def get(self, request, account_id: int):
        return Response(AccountOutput(account_for(request, account_id)).data)


class BillingProfileView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="An account's billing profile", responses=BillingProfileOutput)
    def get(self, request, account_id: int):
        account = account_for(request, account_id)
        profile = BillingProfile.objects.filter(account=account).first() or BillingProfile(account=account)
        return Response(BillingProfileOutput(profile).data)

    @extend_schema(summary="Update an account's billing profile", request=BillingProfileInput,
                   responses=BillingProfileOutput)
    def patch(self, request, account_id: int):
        account = account_for(request, account_id)
        data = BillingProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "stripe_customer_id" in data.validated_data and not request.auth.is_operator:
            # Collection charges the Stripe customer named here: an account pointing its profile at
            # someone else's customer would have its invoices paid with their card.
            raise ValidationFailed({"stripe_customer_id": "Only operator keys may set the Stripe customer."})
        return Response(BillingProfileOutput(billing_profile_update(account=account, **data.validated_data)).data)


class CreditListGrantView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="An account's credit balance and ledger", responses=inline_serializer(
        "CreditLedger", {"balance": serializers.DictField(child=serializers.IntegerField()),
                         "entries": CreditEntryOutput(many=True)}))
    def get(self, request, account_id: int):
        account = account_for(request, account_id)
        entries = CreditEntry.objects.filter(account=account).order_by("-created_at", "-id")[:100]
        return Response({"balance": credit_balance(account_id=account.pk),
                         "entries": CreditEntryOutput(entries, many=True).data})

    @extend_schema(summary="Grant credit (operator keys)", request=CreditGrantInput,
                   responses={201: CreditEntryOutput})
    def post(self, request, account_id: int):
        require_operator(request)
        account = account_for(request, account_id)
        data = CreditGrantInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = credit_grant(account=account, **data.validated_data)
        return Response(CreditEntryOutput(entry).data, status=status.HTTP_201_CREATED)


class CouponListCreateView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="List coupons (operator keys)", responses=CouponOutput(many=True))
    def get(self, request):
        require_operator(request)
        return self.paginated(request, coupons_all().order_by("-id"), CouponOutput)

    @extend_schema(summary="Create a coupon (operator keys)", request=CouponInput, responses={201: CouponOutput})
    def post(self, request):
        require_operator(request)
        data = CouponInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        codes = values.pop("plans", [])
        plans = list(Plan.objects.filter(code__in=codes))
        if len(plans) != len(set(codes)):

            raise ValidationFailed({"plans": "Unknown plan code(s)."})
        coupon = coupon_create(plans=plans, **values)
        return Response(CouponOutput(coupons_all().get(pk=coupon.pk)).data, status=status.HTTP_201_CREATED)


class PromotionCodeCreateView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Add a promotion code to a coupon (operator keys)", request=PromotionCodeInput,
                   responses={201: CouponOutput})
    def post(self, request, code: str):
        require_operator(request)
        coupon = get_object_or_404(Coupon, code=code)
        data = PromotionCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion_code_create(coupon=coupon, **data.validated_data)
        return Response(CouponOutput(coupons_all().get(pk=coupon.pk)).data, status=status.HTTP_201_CREATED)
