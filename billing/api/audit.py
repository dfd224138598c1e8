"""GET /api/v1/audit-entries: the audit trail of the key's account (all of it for operator keys)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from billing.api.strict import StrictCharField, StrictQuery
from billing.api.views import ApiView
from billing.models import AuditEntry


class AuditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "account_id", "actor_type", "actor_id", "actor_label", "action", "object_type",
                  "object_id", "before", "after", "ip_address", "request_id", "reason", "created_at"]


class AuditEntryListQuery(StrictQuery):
    action = StrictCharField.of(AuditEntry, "action", required=False, help_text="Only entries with this action")
    object_type = StrictCharField.of(AuditEntry, "object_type", required=False,
                                     help_text="Only entries about this kind of object")


class AuditEntryListView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(
        summary="List audit entries",
        parameters=[
            AuditEntryListQuery,
            OpenApiParameter("limit", int, description="Page size, 1-100 (default 25)"),
            OpenApiParameter("cursor", str, description="The `next` or `previous` cursor of a page"),
        ],
        responses=AuditEntryOutput(many=True),
    )
    def get(self, request):
        """The audit trail, newest first: every financial change with who made it (user, API key, job), the
        object before and after, the request id, and the reason a person gave in the admin. An operator key sees every account's entries, an account
        key its own account's. Filter by `action` or `object_type`."""
        query = AuditEntryListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = AuditEntry.objects.all()
        api_key = request.auth
        if not api_key.is_operator:  # scoped in SQL by RLS too; this is the first wall
            entries = entries.filter(account_id=api_key.account_id)
        for param, value in query.validated_data.items():
            entries = entries.filter(**{param: value})
        return self.paginated(request, entries, AuditEntryOutput)
