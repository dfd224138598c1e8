"""Rows of every billing tenant table for one account (used by the RLS isolation test).

Each app keeps a `tests/<app>/tenant_rows.py` with a `build(account)` that writes at
least one row, for that account, into every tenant table the app owns.
"""

from django.contrib.auth import get_user_model

from billing.audit import audit_record
from billing.outbox import event_record
from billing.services import (
    api_key_create,
    invitation_create,
    membership_add,
    portal_session_create,
)


def build(account):
    user = get_user_model().objects.create_user(username=f"member-{account.pk}", password="x")
    membership_add(account=account, user=user, role="viewer")
    api_key_create(name="k", scopes=["usage:write"], account=account)
    invitation_create(account=account, email=f"invited-{account.pk}@example.com", role="viewer")
    portal_session_create(account=account, email=f"portal-{account.pk}@example.com", role="viewer",
                          return_url="https://app.example.com/")
    from django.db import transaction

    with transaction.atomic():
        audit_record(action="test.row", object_type="test", object_id=1, account_id=account.pk)
        event_record(type="test.row", account_id=account.pk, payload={})
    _build_catalog_rows(account)
    from billing.services import account_standing_change

    account_standing_change(account_id=account.pk, state="warning", days_past_due=7)


def _build_catalog_rows(account):
    """Billing profile, credit ledger, subscription and everything hanging off it."""
    from billing.models import Coupon, Plan
    from billing.services import (
        billing_profile_update,
        coupon_create,
        credit_consume,
        credit_grant,
        subscription_change,
        subscription_create,
        subscription_overrides_set,
    )
    from tests.billing.catalog_factories import metric, plan

    metric("rows_metric")
    small = Plan.objects.filter(code="rows-small").first() or plan(code="rows-small", flat=1_000)
    big = Plan.objects.filter(code="rows-big").first() or plan(code="rows-big", flat=5_000)
    coupon = Coupon.objects.filter(code="rows-coupon").first() or coupon_create(
        code="rows-coupon", name="Rows", percent_off=10, duration="forever")
    billing_profile_update(account=account, legal_name="Rows Ltd")
    credit_grant(account=account, amount=500, currency="USD", reason="rows")
    credit_consume(account_id=account.pk, currency="USD", amount=100, reference=f"rows:{account.pk}")
    sub = subscription_create(account=account, plan=small, coupon_code=coupon.code)
    subscription_change(subscription=sub, plan=big, timing="immediate")  # prorations
    subscription_overrides_set(subscription=sub, metrics=[{"metric": "rows_metric", "included": 10}])
    subscription_change(subscription=sub, plan=small, timing="period_end")  # a scheduled change
