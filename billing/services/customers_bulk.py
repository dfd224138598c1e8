"""`billing_profile_currency_lock` for many accounts at once (invoicing's set-based finalization).

The same rows as the single service, account by account (tests/billing/test_currency_lock_bulk.py):
a profile created when missing, the currency fixed with its audit entry, a Conflict when an
account is already invoiced in another currency. Runs in the caller's transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing import clock
from billing.audit import audit_record_many, snapshot, snapshot_changed
from billing.errors import Conflict
from billing.models import BillingProfile
from billing.rows import rows_update
from billing.services.customers import clean_currency


def billing_profiles_currency_lock_many(*, currencies: dict[int, str]) -> None:
    """{account id: currency} of the invoices being finalized: fix each account's currency once."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("billing_profiles_currency_lock_many must run inside the caller's transaction")
    wanted = {account_id: clean_currency(currency) for account_id, currency in currencies.items()}
    if not wanted:
        return
    now, audits = clock.now(), []
    have = set(BillingProfile.objects.filter(account_id__any=list(wanted)).values_list("account_id", flat=True))
    missing = sorted(a for a in wanted if a not in have)
    if missing:
        # A customer's first invoice (every invoice of a first bill run): the profile is created
        # already locked, as plain rows, with the audit entry the single service writes.
        inserted = _profiles_insert_locked(missing, wanted, now)
        before = snapshot(BillingProfile())
        for account_id, profile_id in inserted.items():
            picture = snapshot_changed(before, account=account_id, id=profile_id)
            audits.append({"action": "billing_profile.currency_locked", "object_type": "billing.billingprofile",
                           "object_id": profile_id, "account_id": account_id, "before": picture,
                           "after": snapshot_changed(picture, currency=wanted[account_id])})
        have |= set(missing) - set(inserted)  # created meanwhile by another transaction: locked below
    # Existing profiles: locked in account order (two chunks sharing accounts wait rather than deadlock).
    profiles = list(BillingProfile.objects.select_for_update(of=("self",))
                    .filter(account_id__any=sorted(have)).order_by("account_id")) if have else []
    changed = []
    stamp = timezone.now()
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


def _profiles_insert_locked(accounts: list[int], wanted: dict[int, str], now) -> dict[int, int]:
    """INSERT the accounts' profiles with their currency fixed, in account order (two chunks inserting
    the same accounts in different orders deadlock on the unique index); an account whose profile
    another transaction created meanwhile is skipped. {account id: profile id} of the rows inserted.
    The accounts and currencies go as two arrays and every other column as one value for all rows:
    a VALUES list of every row's every column (3,000 placeholders for 200 accounts) had psycopg
    split the statement's text in Python each time (it caches that for up to 50 parameters)."""
    connection = transaction.get_connection()
    opts = BillingProfile._meta
    fields = [f for f in opts.local_concrete_fields if f is not opts.pk]
    template = BillingProfile(currency_locked_at=now)
    quote = connection.ops.quote_name
    select, params = [], []
    for f in fields:
        if f.attname in ("account_id", "currency"):
            select.append(f"u.{f.attname}")
        else:
            select.append(f"%s::{f.db_type(connection).split('(')[0]}")
            params.append(f.get_db_prep_save(f.pre_save(template, True), connection))
    ordered = sorted(accounts)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
                       f"SELECT {', '.join(select)} FROM unnest(%s::bigint[], %s::text[]) "
                       "WITH ORDINALITY AS u(account_id, currency, n) ORDER BY u.n "
                       f"ON CONFLICT ({quote('account_id')}) DO NOTHING RETURNING {quote('account_id')}, {quote('id')}",
                       [*params, ordered, [wanted[a] for a in ordered]])
        return dict(cursor.fetchall())
