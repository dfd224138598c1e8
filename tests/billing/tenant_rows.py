"""Rows of every billing tenant table for one account (used by the RLS isolation test).

Each app keeps a `tests/<app>/tenant_rows.py` with a `build(account)` that writes at
least one row, for that account, into every tenant table the app owns.
"""

from django.contrib.auth import get_user_model

from billing.audit import audit_record
from billing.outbox import event_record
from billing.services import api_key_create, membership_add


def build(account):
    user = get_user_model().objects.create_user(username=f"member-{account.pk}", password="x")
    membership_add(account=account, user=user, role="viewer")
    api_key_create(name="k", scopes=["usage:write"], account=account)
    from django.db import transaction

    with transaction.atomic():
        audit_record(action="test.row", object_type="test", object_id=1, account_id=account.pk)
        event_record(type="test.row", account_id=account.pk, payload={})
