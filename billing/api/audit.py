"""GET /api/v1/audit-entries: the audit trail of the key's account (all of it for operator keys)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from billing.api.views import ApiView
from billing.models import AuditEntry


class AuditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "account_id", "actor_type", "actor_id", "actor_label", "action", "object_type",
                  "object_id", "before", "after", "ip_address", "request_id", "created_at"]


class AuditEntryListView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(
        summary="List audit entries",
        parameters=[
            OpenApiParameter("action", str, description="Only entries with this action"),
            OpenApiParameter("object_type", str, description="Only entries about this kind of object"),
            OpenApiParameter("limit", int, description="Page size, 1-100 (default 25)"),
            OpenApiParameter("cursor", str, description="The `next` or `previous` cursor of a page"),
        ],
        responses=AuditEntryOutput(many=True),
    )
    def get(self, request):
        entries = AuditEntry.objects.all()
        api_key = request.auth
        if not api_key.is_operator:  # scoped in SQL by RLS too; this is the first wall
            entries = entries.filter(account_id=api_key.account_id)
        for param in ("action", "object_type"):
            if request.query_params.get(param):
                entries = entries.filter(**{param: request.query_params[param]})
        return self.paginated(request, entries, AuditEntryOutput)
