"""GET /api/v1/exports/<kind>?from=YYYY-MM-DD&to=YYYY-MM-DD: a streamed CSV export (operator keys)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import StrictDateField, StrictQuery
from billing.api.views import ApiView
from exports.conf import max_days
from exports.streaming import KINDS, export_response


def range_problems(start, end) -> dict[str, str]:
    """What is wrong with a date range, by field: shared by the API and the admin page."""
    if end < start:
        return {"to": "Must be on or after `from`."}
    if (end - start).days + 1 > max_days():
        return {"to": f"At most {max_days()} days per export: split the range."}
    return {}


class ExportQuery(StrictQuery):
    def get_fields(self):
        return {"from": StrictDateField(help_text="First day (inclusive), YYYY-MM-DD"),
                "to": StrictDateField(help_text="Last day (inclusive), YYYY-MM-DD")}

    def validate(self, data):
        problems = range_problems(data["from"], data["to"])
        if problems:
            raise serializers.ValidationError({name: [text] for name, text in problems.items()})
        return data


class ExportView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:read"

    @extend_schema(
        summary="Export a table or the accounting journal as CSV (operator keys)",
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=KINDS, description="What to export"),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day (inclusive)"),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True,
                             description=f"Last day (inclusive), at most {max_days()} days after `from`"),
        ],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV, streamed")},
    )
    def get(self, request, kind: str):
        """Rows of the kind for the date range, amounts in minor units and in major units beside their
        currency, dates in ISO 8601. `journal` gives the double-entry lines per document, on the accounts
        of the EXPORTS_ACCOUNTS setting (docs/finance-guide.md)."""
        if kind not in KINDS:
            raise ValidationError({"kind": [f"Must be one of: {', '.join(KINDS)}."]})
        query = ExportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return export_response(kind, query.validated_data["from"], query.validated_data["to"])
