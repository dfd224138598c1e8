"""`billing_profile_currency_lock` for many accounts at once (invoicing's set-based finalization).

The same rows as the single service, account by account (tests/billing/test_currency_lock_bulk.py):
a profile created when missing, the currency fixed with its audit entry, a Conflict when an
account is already invoiced in another currency. Runs in the caller's transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing import clock
from billing.audit import audit_record_many, snapshot
from billing.errors import Conflict
from billing.models import BillingProfile
from billing.services.customers import clean_currency
from billing.services.rows import rows_update


def billing_profiles_currency_lock_many(*, currencies: dict[int, str]) -> None:
    """{account id: currency} of the invoices being finalized: fix each account's currency once."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("billing_profiles_currency_lock_many must run inside the caller's transaction")
    wanted = {account_id: clean_currency(currency) for account_id, currency in currencies.items()}
    if not wanted:
        return
    # Missing profiles created without racing a concurrent creator, then all of them locked. Inserted in
    # account order: two chunks inserting the same accounts in different orders deadlock on the unique index.
    have = set(BillingProfile.objects.filter(account_id__in=list(wanted)).values_list("account_id", flat=True))
    if len(have) < len(wanted):
        BillingProfile.objects.bulk_create([BillingProfile(account_id=a) for a in sorted(wanted) if a not in have],
                                           ignore_conflicts=True)
    profiles = list(BillingProfile.objects.select_for_update(of=("self",)).filter(account_id__in=list(wanted))
                    .order_by("account_id"))
    changed, audits = [], []
    now, stamp = clock.now(), timezone.now()
    for profile in profiles:
        currency = wanted[profile.account_id]
        if profile.currency_locked_at:
            if profile.currency != currency:
                raise Conflict(f"The account is invoiced in {profile.currency}.")
            continue
        before = snapshot(profile)
        profile.currency, profile.currency_locked_at, profile.updated_at = currency, now, stamp
        changed.append(profile)
        audits.append({"action": "billing_profile.currency_locked", "instance": profile, "before": before,
                       "after": snapshot(profile)})
    rows_update(changed, ["currency", "currency_locked_at", "updated_at"])
    if audits:
        audit_record_many(audits)
