"""Portal sessions: the operator's app opens the console for one of its users (docs/console.md, "Portal links").

Operator keys only, with `billing:write`: the link signs a person into an account, so only the operator, who
vouches for the address, may make one."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import (
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictInput,
    StrictIntegerField,
)
from billing.api.views import ApiView
from billing.models import Account, MembershipRole, PortalFlow, PortalSession
from billing.services import portal_session_create
from billing.services.members import return_url_problem


class PortalSessionInput(StrictInput):
    account_id = StrictIntegerField.of(Account, "id", help_text="The account the person is signed into.")
    email = StrictEmailField.of(PortalSession, "email", help_text=(
        "The person's address: their user, or a new one made on first use (never an operator staff user)."))
    role = StrictChoiceField(choices=MembershipRole.choices, help_text=(
        "Their role in the account; a person who holds a higher one keeps it (a link never lowers a role)."))
    return_url = StrictCharField.of(PortalSession, "return_url", help_text=(
        "An http(s) URL of the operator's app: the console's \"Back to\" link."))
    flow = StrictChoiceField(choices=PortalFlow.choices, required=False, help_text=(
        "The page the link opens; absent: the overview."))
    invoice_id = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                    help_text="With `pay_invoice`: that invoice; absent: the open invoices.")

    def validate_return_url(self, value):
        problem = return_url_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class PortalSessionOutput(serializers.Serializer):
    url = serializers.URLField(help_text="The one-time link: open it in the person's browser, once.")
    expires_at = serializers.DateTimeField(help_text="After this instant the link answers 404.")


class PortalSessionCreateView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:write"

    @extend_schema(summary="Open the console for a person of an account (a one-time link; operator keys)",
                   request=PortalSessionInput, responses={201: PortalSessionOutput})
    def post(self, request):
        """A link valid `CONSOLE_PORTAL_SESSION_MINUTES` (5) minutes, once: it signs the person into the
        console for the account (making their user and membership when needed) and opens the flow, with a
        "Back to" link to `return_url`. Only the token's hash is stored."""
        data = PortalSessionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = Account.objects.filter(pk=values["account_id"], is_active=True).first()
        if account is None:
            raise serializers.ValidationError({"account_id": ["No such active account."]})
        issued = portal_session_create(
            account=account, email=values["email"], role=values["role"], return_url=values["return_url"],
            flow=values.get("flow", ""), invoice_id=values.get("invoice_id"), created_by_key=request.auth)
        url = settings.SITE_URL.rstrip("/") + reverse("console:portal-enter", args=[issued.token])
        body = PortalSessionOutput({"url": url, "expires_at": issued.session.expires_at}).data
        return Response(body, status=status.HTTP_201_CREATED)
