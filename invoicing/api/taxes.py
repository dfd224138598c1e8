"""Tax rates over the API, for operator keys: create, list, retrieve, update, archive.

A rate is never deleted: `DELETE` archives it. Once a finalized invoice carries a rate its
percentage never changes (409): a new rate replaces it. docs/invoicing.md, "Tax rates".
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictInput,
    StrictIntegerField,
    StrictQuery,
    expect_no_fields,
)
from billing.api.views import ApiView
from invoicing.models import TaxRate
from invoicing.selectors import tax_rates_all
from invoicing.services import tax_rate_archive, tax_rate_create, tax_rate_update

SCOPES = {"read": "billing:read", "write": "billing:write"}
COUNTRY_CODE = RegexValidator(r"^[A-Za-z]{2}$", "Must be a two-letter ISO 3166-1 country code, e.g. FR.")
PERCENTAGE_HELP = 'A decimal string between "0" and "100", at most 4 decimal places, e.g. "20" or "8.875".'


class TaxRateOutput(serializers.ModelSerializer):
    percentage = serializers.DecimalField(max_digits=7, decimal_places=4, coerce_to_string=True)

    class Meta:
        model = TaxRate
        fields = ["id", "name", "country", "region", "percentage", "inclusive", "is_active", "description",
                  "created_at"]


class TaxRateAttrsInput(StrictInput):
    name = StrictCharField.of(TaxRate, "name", help_text="Shown on invoices, e.g. 'TVA 20 %'.")
    description = StrictCharField.of(TaxRate, "description", required=False, allow_blank=True)
    percentage = StrictDecimalField.of(TaxRate, "percentage", min_value=0, max_value=100, help_text=PERCENTAGE_HELP)
    inclusive = StrictBooleanField(required=False, help_text="Prices already include this tax.")


class TaxRateCreateInput(TaxRateAttrsInput):
    country = StrictCharField.of(TaxRate, "country", validators=[COUNTRY_CODE],
                                 help_text="ISO 3166-1 alpha-2 of the billing address, e.g. FR.")
    region = StrictCharField.of(TaxRate, "region", required=False, allow_blank=True,
                                help_text="State or province; blank = the whole country.")
    is_active = StrictBooleanField(required=False, default=True)
    replaces = StrictIntegerField.of(TaxRate, "id", required=False, allow_null=True, min_value=1,
                                     help_text="The active rate of the same place, archived in the same step.")


class TaxRateUpdateInput(TaxRateAttrsInput):
    country = StrictCharField.of(TaxRate, "country", required=False, help_text="Refused unless unchanged.")
    region = StrictCharField.of(TaxRate, "region", required=False, allow_blank=True,
                                help_text="Refused unless unchanged.")
    is_active = StrictBooleanField(required=False, help_text="false archives (as DELETE does).")


class TaxRateListQuery(StrictQuery):
    country = StrictCharField.of(TaxRate, "country", required=False, validators=[COUNTRY_CODE])
    is_active = StrictBooleanField(required=False, allow_null=True, default=None)


class TaxRateListCreateView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = SCOPES

    @extend_schema(summary="List tax rates (operator keys)", parameters=[TaxRateListQuery],
                   responses=TaxRateOutput(many=True))
    def get(self, request):
        """Tax rates, filtered by `country` or `is_active`. Operator keys only."""
        query = TaxRateListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rates = tax_rates_all(country=query.validated_data.get("country"),
                              is_active=query.validated_data["is_active"])
        return self.paginated(request, rates, TaxRateOutput)

    @extend_schema(summary="Create a tax rate (operator keys)", request=TaxRateCreateInput,
                   responses={201: TaxRateOutput})
    def post(self, request):
        """Create a tax rate: a percentage for a country and optionally a region, included in prices or added
        to them. `replaces` names the active rate of the same place, archived at once. Operator keys only."""
        data = TaxRateCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        replaces_id = fields.pop("replaces", None)
        replaces = None
        if replaces_id is not None:
            replaces = TaxRate.objects.filter(pk=replaces_id).first()
            if replaces is None:
                raise serializers.ValidationError({"replaces": ["No such tax rate."]})
        rate = tax_rate_create(**fields, replaces=replaces)
        return Response(TaxRateOutput(rate).data, status=status.HTTP_201_CREATED)


class TaxRateDetailView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = SCOPES

    @extend_schema(summary="Retrieve a tax rate (operator keys)", responses=TaxRateOutput)
    def get(self, request, rate_id: int):
        """One tax rate. Operator keys only."""
        return Response(TaxRateOutput(get_object_or_404(TaxRate, pk=rate_id)).data)

    @extend_schema(summary="Update a tax rate (operator keys; 409 for the percentage of an invoiced rate)",
                   request=TaxRateUpdateInput, responses=TaxRateOutput)
    def patch(self, request, rate_id: int):
        """Change a tax rate. The percentage of a rate already on a finalized invoice never changes (409):
        create a new rate that replaces it. Operator keys only."""
        rate = get_object_or_404(TaxRate, pk=rate_id)
        data = TaxRateUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(TaxRateOutput(tax_rate_update(tax_rate=rate, **data.validated_data)).data)

    @extend_schema(summary="Archive a tax rate (operator keys): no new invoice gets it", request=None,
                   responses=TaxRateOutput)
    def delete(self, request, rate_id: int):
        """Archive the tax rate: no new invoice gets it; invoices that have it keep it. Operator keys only."""
        expect_no_fields(request)
        return Response(TaxRateOutput(tax_rate_archive(tax_rate=get_object_or_404(TaxRate, pk=rate_id))).data)
