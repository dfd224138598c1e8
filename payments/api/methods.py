"""Payment-method endpoints: thin views over payments.services.methods."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.strict import StrictInput, StrictIntegerField, StrictQuery, expect_no_fields
from billing.api.views import ApiView
from billing.errors import NotFound
from billing.models import Account
from payments import selectors
from payments.api.common import account_for
from payments.models import PaymentMethod, PaymentSetup
from payments.services.methods import (
    payment_method_get,
    payment_method_remove,
    payment_method_set_default,
    payment_method_setup_complete,
    payment_method_setup_start,
)


class PaymentMethodOutput(serializers.ModelSerializer):
    class Meta:
        model = PaymentMethod
        fields = ["id", "account_id", "gateway", "gateway_id", "type", "brand", "last4", "exp_month", "exp_year",
                  "fingerprint", "bank_name", "is_default", "created_at"]


class SetupInput(StrictInput):
    account_id = StrictIntegerField.of(Account, "id", required=False, help_text="Operator keys only: the account.")


class PaymentMethodListQuery(StrictQuery):
    account_id = StrictIntegerField.of(Account, "id", required=False, help_text="Operator keys: the account")


class SetupOutput(serializers.Serializer):
    setup_id = serializers.IntegerField()
    gateway_setup_id = serializers.CharField()
    status = serializers.CharField()
    client_secret = serializers.CharField(help_text="Give it to Stripe.js (confirmCardSetup / confirmSetup).")
    publishable_key = serializers.CharField()
    gateway = serializers.CharField()
    offline = serializers.BooleanField(help_text="True in the sandbox: no Stripe key is configured.")


class SetupStateOutput(serializers.ModelSerializer):
    setup_id = serializers.IntegerField(source="pk")
    gateway_setup_id = serializers.CharField(source="gateway_id")
    payment_method = PaymentMethodOutput(allow_null=True)

    class Meta:
        model = PaymentSetup
        fields = ["setup_id", "gateway_setup_id", "status", "failure_message", "payment_method"]


class PaymentMethodSetupView(ApiView):
    calls_payment_gateway = True  # the schema lists 502 (billing/api/schema.py)
    required_scopes = "billing:write"

    @extend_schema(summary="Start adding a payment method (SetupIntent)", request=SetupInput,
                   responses={201: SetupOutput})
    def post(self, request):
        """Start adding a payment method: a Stripe SetupIntent whose client secret the browser confirms with
        Stripe.js (card data never reaches this server). Operator keys name the account."""
        data = SetupInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = account_for(request, data.validated_data.get("account_id"))
        started = payment_method_setup_start(account=account)
        return Response(SetupOutput({
            "setup_id": started.setup.pk, "gateway_setup_id": started.setup.gateway_id,
            "status": started.setup.status, "client_secret": started.client_secret,
            "publishable_key": started.publishable_key, "gateway": started.gateway, "offline": started.offline,
        }).data, status=status.HTTP_201_CREATED)


class PaymentMethodSetupCompleteView(ApiView):
    calls_payment_gateway = True  # the schema lists 502 (billing/api/schema.py)
    required_scopes = "billing:write"

    @extend_schema(summary="Record the outcome of a setup (after Stripe.js confirmed it)", request=None,
                   responses=SetupStateOutput)
    def post(self, request, setup_id: int):
        """Bring a setup up to date with Stripe after Stripe.js confirmed it (the webhook does the same;
        either order, any number of times) and answer it with the payment method it produced."""
        expect_no_fields(request)
        setup = PaymentSetup.objects.filter(pk=setup_id).first()
        if setup is None or (not request.auth.is_operator and setup.account_id != request.auth.account_id):
            raise NotFound("No such setup.")
        return Response(SetupStateOutput(payment_method_setup_complete(setup=setup)).data)


class PaymentMethodListView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="List payment methods", parameters=[PaymentMethodListQuery],
                   responses=PaymentMethodOutput(many=True))
    def get(self, request):
        """The account's payment methods (brand, last 4 digits, expiry, which one is the default; never card
        numbers). Operator keys name the account."""
        query = PaymentMethodListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = account_for(request, query.validated_data.get("account_id"))
        return self.paginated(request, selectors.payment_methods_of(account_id=account.pk), PaymentMethodOutput)


def _method(request, method_id: int) -> PaymentMethod:
    method = PaymentMethod.objects.filter(pk=method_id, removed_at__isnull=True).first()
    if method is None or (not request.auth.is_operator and method.account_id != request.auth.account_id):
        raise NotFound("No such payment method.")
    return payment_method_get(account_id=method.account_id, method_id=method.pk)


class PaymentMethodDefaultView(ApiView):
    calls_payment_gateway = True  # the schema lists 502 (billing/api/schema.py)
    required_scopes = "billing:write"

    @extend_schema(summary="Make a payment method the default", request=None, responses=PaymentMethodOutput)
    def post(self, request, method_id: int):
        """Make this the method invoices are charged to (at Stripe too)."""
        expect_no_fields(request)
        return Response(PaymentMethodOutput(payment_method_set_default(method=_method(request, method_id))).data)


class PaymentMethodDetailView(ApiView):
    calls_payment_gateway = ("DELETE",)  # the schema lists 502 (billing/api/schema.py)
    required_scopes = {"read": "billing:read", "write": "billing:write"}

    @extend_schema(summary="Retrieve a payment method", responses=PaymentMethodOutput)
    def get(self, request, method_id: int):
        """One payment method of the key's account (operator keys: of any account)."""
        return Response(PaymentMethodOutput(_method(request, method_id)).data)

    @extend_schema(summary="Remove a payment method (detaches it at Stripe)", responses={204: None})
    def delete(self, request, method_id: int):
        """Remove the payment method: it is detached at Stripe and kept on record as removed; the newest other
        method becomes the default."""
        expect_no_fields(request)
        payment_method_remove(method=_method(request, method_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
