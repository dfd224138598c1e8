"""API keys over the API, for operator keys (automation of key rotation and of customer onboarding).

A key mints and revokes only keys whose scopes it holds itself (`api_key_grant_check`),
so only an `admin` key mints an `admin` key. docs/api.md, "Keys and scopes".
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import (
    StrictCharField,
    StrictChoiceField,
    StrictInput,
    StrictIntegerField,
    StrictListField,
    expect_no_fields,
    expect_no_parameters,
)
from billing.api.views import ApiView
from billing.models import Account, ApiKey, ApiScope
from billing.services import api_key_create, api_key_revoke


class ApiKeyOutput(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "account_id", "scopes", "created_at", "last_used_at", "revoked_at"]


class ApiKeyCreateInput(StrictInput):
    name = StrictCharField.of(ApiKey, "name")
    scopes = StrictListField(child=StrictChoiceField(choices=ApiScope.choices), allow_empty=False)
    account_id = StrictIntegerField.of(Account, "id", required=False, allow_null=True,
                                       help_text="The account of an account key; absent or null: an operator key.")


class ApiKeyCreatedOutput(ApiKeyOutput):
    secret = serializers.CharField(help_text="The full key. Shown in this response only.")

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "secret"]


class ApiKeyListCreateView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = {"read": "billing:read", "write": "billing:write"}

    @extend_schema(summary="List API keys (operator keys)", responses=ApiKeyOutput(many=True))
    def get(self, request):
        """API keys, newest first, without their secrets: prefix, account (null for operator keys), scopes,
        last use and revocation. Operator keys only."""
        expect_no_parameters(request)
        return self.paginated(request, ApiKey.objects.all(), ApiKeyOutput)

    @extend_schema(summary="Mint an API key with scopes this key holds (operator keys)",
                   request=ApiKeyCreateInput, responses={201: ApiKeyCreatedOutput})
    def post(self, request):
        """Mint a key: an operator key without `account_id`, an account key with it. A key grants only scopes
        it holds itself (403 naming the others). The answer carries the secret, once."""
        data = ApiKeyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = None
        if data.validated_data.get("account_id") is not None:
            account = Account.objects.filter(pk=data.validated_data["account_id"]).first()
            if account is None:
                raise serializers.ValidationError({"account_id": ["No such account."]})
        issued = api_key_create(name=data.validated_data["name"], scopes=data.validated_data["scopes"],
                                account=account, granted_by=request.auth)
        body = ApiKeyOutput(issued.api_key).data | {"secret": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:write"

    @extend_schema(summary="Revoke an API key holding no scope this key lacks (operator keys)", request=None,
                   responses=ApiKeyOutput)
    def post(self, request, key_id: int):
        """Revoke a key at once; it answers 401 from then on and stays on record. A key may revoke itself, and
        another key only when it holds every scope of that key."""
        expect_no_fields(request)
        api_key = api_key_revoke(api_key=get_object_or_404(ApiKey, pk=key_id), revoked_by=request.auth)
        return Response(ApiKeyOutput(api_key).data)
