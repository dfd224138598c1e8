"""The overdue policy: how far past due an account's oldest unpaid invoice is decides its standing.

By default (billing's OVERDUE_* settings, or the plan's PlanOverduePolicy) `warning` at 7 days past
due, `restricted` at 14 and `suspended` at 30; billing/services/standing.py moves the state, audits
it, announces it and takes the final action. Unpaid means open or uncollectible with an amount due.

Two routes change it:
- the beat job `overdue_policy_apply` (hourly, and by `advance_clock --run-jobs`) walks the accounts
  with unpaid invoices past due, and those not in good standing, and moves each to its state;
- paying (any route: card, hosted page, a transfer finance marked received, a credit note) or voiding
  an invoice re-computes its account at once, in that transaction (payments/reactions.py), so paying
  everything due returns it to `good` in the commit that paid it. That route only ever improves the
  state: escalation is the job's.
While finance has paused dunning for an account, the job does not escalate it either.
"""

from __future__ import annotations

from django.db.models import Min
from django.utils import timezone

from billing import clock
from billing.models import AccountStanding, OverdueState
from billing.selectors import overdue_policy_for
from billing.selectors.standing import overdue_worse
from billing.services import account_standing_change
from invoicing.models import Invoice, InvoiceStatus

from .dunning import dunning_paused

UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


def _past_due(account_ids=None):
    day = timezone.localdate(clock.now())
    rows = Invoice.objects.filter(status__in=UNPAID, amount_due__gt=0, due_date__lt=day)
    if account_ids is not None:
        rows = rows.filter(account_id__in=account_ids)
    return day, rows


def account_standing_refresh(*, account_id: int, escalate: bool = True) -> str:
    """Put one account in the state its oldest unpaid invoice calls for. Returns the state."""
    current = (AccountStanding.objects.filter(account_id=account_id).values_list("overdue_state", flat=True).first()
               or OverdueState.GOOD)
    if not escalate and current == OverdueState.GOOD:
        return current  # nothing to improve (most payments: a bill run's invoices paid by credit)
    day, rows = _past_due([account_id])
    oldest = rows.aggregate(oldest=Min("due_date"))["oldest"]
    days = (day - oldest).days if oldest else 0
    target = overdue_policy_for(account_id=account_id).state_for(days)
    if target == current:
        if current != OverdueState.GOOD:
            account_standing_change(account_id=account_id, state=target, days_past_due=days)  # refresh the days
        return current
    if overdue_worse(target, current) and (not escalate or dunning_paused(account_id)):
        return current
    reason = f"oldest unpaid invoice due {oldest.isoformat()}" if oldest else "nothing past due"
    account_standing_change(account_id=account_id, state=target, days_past_due=days, reason=reason)
    return target


def overdue_policy_apply(*, limit: int = 1000) -> int:
    """The beat job: every account with an unpaid invoice past due, or not in good standing, in its state.
    Each account in its own transaction: safe to run twice and to kill halfway. Returns the changes."""
    _, rows = _past_due()
    owing = set(rows.order_by().values_list("account_id", flat=True).distinct()[:limit])
    flagged = set(AccountStanding.objects.exclude(overdue_state=OverdueState.GOOD)
                  .values_list("account_id", flat=True)[:limit])
    changed = 0
    for account_id in sorted(owing | flagged):
        before = (AccountStanding.objects.filter(account_id=account_id).values_list("overdue_state", flat=True)
                  .first() or OverdueState.GOOD)
        if account_standing_refresh(account_id=account_id) != before:
            changed += 1
    return changed
