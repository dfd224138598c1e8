"""Rows of every analytics tenant table for one account (used by the RLS isolation test)."""

from datetime import date

from analytics.models import MrrSnapshot
from billing.models import Plan


def build(account):
    plan = Plan.objects.order_by("id").first()
    # A snapshot is history: it names a subscription and a plan without a database constraint.
    MrrSnapshot.objects.create(account=account, day=date(2026, 1, 31), subscription_id=10_000 + account.pk,
                               plan_id=plan.pk if plan else 1, currency="USD", status="active", quantity=1, mrr=4900)
