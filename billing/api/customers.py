"""Accounts, billing profiles, credits and coupons over the API."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.catalog import require_operator
from billing.api.strict import (
    MinorUnitsField,
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictDecimalField,
    StrictEmailField,
    StrictInput,
    StrictIntegerField,
    StrictJSONObjectField,
    StrictListField,
    StrictSlugField,
    expect_no_parameters,
)
from billing.api.views import ApiView
from billing.errors import ValidationFailed
from billing.models import (
    Account,
    BillingProfile,
    CollectionMethod,
    Coupon,
    CouponDuration,
    CreditEntry,
    OverdueState,
    Plan,
    PromotionCode,
)
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
    collection_method = serializers.SerializerMethodField(help_text=(
        "How its invoices are collected unless a subscription says otherwise: `charge_automatically` (the "
        "payment method on file; without one it is invoiced like `send_invoice`) or `send_invoice`."))
    overdue_state = serializers.SerializerMethodField(help_text=(
        "Its standing under the overdue policy: `good`, `warning`, `restricted` (quota checks refuse "
        "soft-limit metrics) or `suspended` (they refuse everything); `good` again once everything due is paid."))

    class Meta:
        model = Account
        fields = ["id", "name", "external_id", "is_active", "collection_method", "overdue_state", "created_at"]

    # A missing one-to-one row raises RelatedObjectDoesNotExist, an AttributeError: getattr's default.
    def get_collection_method(self, account) -> str:
        profile = getattr(account, "billing_profile", None)
        return profile.collection_method if profile else CollectionMethod.CHARGE_AUTOMATICALLY

    def get_overdue_state(self, account) -> str:
        standing = getattr(account, "standing", None)
        return standing.overdue_state if standing else OverdueState.GOOD


class AccountCreateInput(StrictInput):
    name = StrictCharField.of(Account, "name")
    external_id = StrictCharField.of(Account, "external_id", required=False, allow_null=True)


class BillingProfileOutput(serializers.ModelSerializer):
    updated_at = serializers.DateTimeField(allow_null=True, read_only=True,
                                           help_text="null until the profile is first saved.")

    class Meta:
        model = BillingProfile
        fields = ["account_id", *PROFILE_FIELDS, "currency_locked_at", "updated_at"]


def profile_text(column: str, **kwargs) -> StrictCharField:
    return StrictCharField.of(BillingProfile, column, required=False, allow_blank=True, **kwargs)


class BillingProfileInput(StrictInput):
    legal_name = profile_text("legal_name")
    email = StrictEmailField.of(BillingProfile, "email", required=False, allow_blank=True)
    address_line1 = profile_text("address_line1")
    address_line2 = profile_text("address_line2")
    city = profile_text("city")
    state = profile_text("state")
    postal_code = profile_text("postal_code")
    country = profile_text("country", help_text="ISO 3166-1 alpha-2, e.g. DE.")
    tax_id = profile_text("tax_id")
    tax_id_type = profile_text("tax_id_type", help_text="e.g. eu_vat, us_ein, gb_vat.")
    currency = profile_text("currency", help_text="ISO 4217, e.g. EUR; fixed once the account is invoiced.")
    preferred_language = StrictCharField.of(BillingProfile, "preferred_language", required=False)
    invoice_notes = profile_text("invoice_notes")
    stripe_customer_id = profile_text("stripe_customer_id", help_text="Operator keys only: the Stripe customer charged.")
    collection_method = StrictChoiceField(choices=CollectionMethod.choices, required=False, help_text=(
        "Operator keys only: `charge_automatically` or `send_invoice` (net terms, paid by bank transfer)."))
    metadata = StrictJSONObjectField(required=False)


class CreditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = CreditEntry
        fields = ["id", "kind", "amount", "currency", "reason", "expires_at", "grant_id", "reference", "created_at"]


class CreditGrantInput(StrictInput):
    amount = MinorUnitsField.of(CreditEntry, "amount", min_value=1)
    currency = StrictCharField.of(CreditEntry, "currency", help_text="ISO 4217 code, e.g. USD.")
    reason = StrictCharField.of(CreditEntry, "reason")
    expires_at = StrictDateTimeField(required=False, allow_null=True)


class CouponOutput(serializers.ModelSerializer):
    plans = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    promotion_codes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Coupon
        fields = ["id", "code", "name", "percent_off", "amount_off", "currency", "duration", "duration_in_periods",
                  "plans", "max_redemptions", "times_redeemed", "redeem_by", "is_active", "promotion_codes"]


class CouponInput(StrictInput):
    code = StrictSlugField.of(Coupon, "code")
    name = StrictCharField.of(Coupon, "name")
    percent_off = StrictDecimalField.of(Coupon, "percent_off", required=False, allow_null=True,
                                        help_text='A percentage as a string, e.g. "25.00".')
    amount_off = MinorUnitsField.of(Coupon, "amount_off", required=False, allow_null=True)
    currency = StrictCharField.of(Coupon, "currency", required=False, allow_blank=True, default="",
                                  help_text="Required with amount_off.")
    duration = StrictChoiceField(choices=CouponDuration.choices, default=CouponDuration.ONCE)
    duration_in_periods = StrictIntegerField.of(Coupon, "duration_in_periods", min_value=1, required=False,
                                                allow_null=True)
    plans = StrictListField(child=StrictSlugField.of(Plan, "code"), required=False, help_text="Plan codes.")
    max_redemptions = StrictIntegerField.of(Coupon, "max_redemptions", min_value=1, required=False,
                                            allow_null=True)
    redeem_by = StrictDateTimeField(required=False, allow_null=True)


class PromotionCodeInput(StrictInput):
    code = StrictCharField.of(PromotionCode, "code")
    max_redemptions = StrictIntegerField.of(PromotionCode, "max_redemptions", min_value=1, required=False,
                                            allow_null=True)
    expires_at = StrictDateTimeField(required=False, allow_null=True)


class AccountListCreateView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="List accounts (an account key sees its own)", responses=AccountOutput(many=True))
    def get(self, request):
        """Customer accounts, newest first. An account key sees only its own account."""
        expect_no_parameters(request)
        qs = Account.objects.all()
        if not request.auth.is_operator:
            qs = qs.filter(pk=request.auth.account_id)
        return self.paginated(request, qs.select_related("billing_profile", "standing").order_by("-id"),
                              AccountOutput)

    @extend_schema(summary="Create an account (operator keys)", request=AccountCreateInput,
                   responses={201: AccountOutput})
    def post(self, request):
        """Create a customer account, with the operator's own id for it in `external_id` (usage and quota
        calls may name the account by it). Operator keys only."""
        require_operator(request)
        data = AccountCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(AccountOutput(account_create(**data.validated_data)).data, status=status.HTTP_201_CREATED)


class AccountDetailView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve an account", responses=AccountOutput)
    def get(self, request, account_id: int):
        """One account. An account key may read only its own (404 for any other)."""
        return Response(AccountOutput(account_for(request, account_id)).data)


class BillingProfileView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="An account's billing profile", responses=BillingProfileOutput)
    def get(self, request, account_id: int):
        """Who is invoiced and how: legal name, address, tax id, currency, language, invoice notes. An account
        without a profile yet answers an empty one, whose `updated_at` is null."""
        account = account_for(request, account_id)
        profile = BillingProfile.objects.filter(account=account).first() or BillingProfile(account=account)
        return Response(BillingProfileOutput(profile).data)

    @extend_schema(summary="Update an account's billing profile", request=BillingProfileInput,
                   responses=BillingProfileOutput)
    def patch(self, request, account_id: int):
        """Change the fields given. The currency is fixed once the account's first invoice is finalized; only
        operator keys may set the Stripe customer."""
        account = account_for(request, account_id)
        data = BillingProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "stripe_customer_id" in data.validated_data and not request.auth.is_operator:
            # Collection charges the Stripe customer named here: an account pointing its profile at
            # someone else's customer would have its invoices paid with their card.
            raise ValidationFailed({"stripe_customer_id": "Only operator keys may set the Stripe customer."})
        if "collection_method" in data.validated_data and not request.auth.is_operator:
            # An account choosing not to be charged would decide when it pays: finance's call.
            raise ValidationFailed({"collection_method": "Only operator keys may set the collection method."})
        return Response(BillingProfileOutput(billing_profile_update(account=account, **data.validated_data)).data)


class CreditListGrantView(ApiView):
    required_scopes = SCOPES

    @extend_schema(summary="An account's credit balance and ledger", responses=inline_serializer(
        "CreditLedger", {"balance": serializers.DictField(child=serializers.IntegerField()),
                         "entries": CreditEntryOutput(many=True)}))
    def get(self, request, account_id: int):
        """The account's credit balance per currency (minor units) and its ledger, newest first (the last 100
        entries): grants, what invoices consumed, expiries and reversals."""
        account = account_for(request, account_id)
        entries = CreditEntry.objects.filter(account=account).order_by("-created_at", "-id")[:100]
        return Response({"balance": credit_balance(account_id=account.pk),
                         "entries": CreditEntryOutput(entries, many=True).data})

    @extend_schema(summary="Grant credit (operator keys)", request=CreditGrantInput,
                   responses={201: CreditEntryOutput})
    def post(self, request, account_id: int):
        """Grant credit in minor units of one currency, optionally expiring. Finalized invoices in that
        currency draw on it, soonest expiry first. Operator keys only."""
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
        """Coupons, newest first, with their promotion codes and how often each was redeemed. Operator keys
        only."""
        expect_no_parameters(request)
        require_operator(request)
        return self.paginated(request, coupons_all().order_by("-id"), CouponOutput)

    @extend_schema(summary="Create a coupon (operator keys)", request=CouponInput, responses={201: CouponOutput})
    def post(self, request):
        """Create a coupon: `percent_off`, or `amount_off` in minor units with its currency; once, for a
        number of periods or forever; optionally only for some plans, a number of redemptions or until a date.
        Operator keys only."""
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
        """Add a customer-facing code to a coupon (customers redeem promotion codes, never the coupon's own
        code), with its own redemption limit and expiry. Answers the coupon. Operator keys only."""
        require_operator(request)
        coupon = get_object_or_404(Coupon, code=code)
        data = PromotionCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion_code_create(coupon=coupon, **data.validated_data)
        return Response(CouponOutput(coupons_all().get(pk=coupon.pk)).data, status=status.HTTP_201_CREATED)
