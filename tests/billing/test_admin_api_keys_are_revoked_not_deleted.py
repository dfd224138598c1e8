"""In the admin an API key is revoked (audited, kept for the record), never deleted."""

import pytest

from billing import tenancy
from billing.models import ApiKey
from billing.roles import FINANCE_ADMIN
from billing.services import api_key_create
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def test_finance_admin_cannot_delete_a_key(make_account):
    with tenancy.operator_scope():
        key = api_key_create(name="ops", scopes=["usage:read"], account=make_account("Acme")).api_key
    client = staff("fin", FINANCE_ADMIN)
    assert client.get(f"/admin/billing/apikey/{key.pk}/delete/").status_code == 403
    client.post("/admin/billing/apikey/", {"action": "delete_selected", "_selected_action": [key.pk],
                                           "post": "yes"})
    with tenancy.operator_scope():
        assert ApiKey.objects.filter(pk=key.pk).exists()


def test_revoking_in_the_admin_keeps_the_key_and_audits(make_account):
    from billing.models import AuditEntry

    with tenancy.operator_scope():
        key = api_key_create(name="ops", scopes=["usage:read"], account=make_account("Acme")).api_key
    client = staff("fin", FINANCE_ADMIN)
    client.post("/admin/billing/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    with tenancy.operator_scope():
        assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
        assert AuditEntry.objects.filter(action="api_key.revoked", object_id=str(key.pk)).exists()
