"""An account's balance: what it owes on its invoices, less the credit it holds, per currency.

The one read of it: the console's overview, the API (`GET /api/v1/accounts/{id}/balance`) and the
daily ledger check (payments/services/ledger.py, which derives the same figures again from the
entries: payments, refunds, credit notes, credit) all call `account_balance`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum

from billing.selectors import credit_balance
from invoicing.models import Invoice, InvoiceStatus

# Invoices whose amount due the customer still owes: open ones, and disputed ones for what was left on them.
OWED_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.DISPUTED)


@dataclass(frozen=True)
class Balance:
    currency: str
    due: int = 0  # open (and disputed) invoices' amount due, minor units
    written_off: int = 0  # uncollectible invoices' amount due: owed, but no longer collected
    credit: int = 0  # the credit balance the next invoices draw on

    @property
    def net(self) -> int:
        """What the customer owes, less their credit: negative when we owe them."""
        return self.due - self.credit

    def as_dict(self) -> dict:
        return {"currency": self.currency, "due": self.due, "written_off": self.written_off,
                "credit": self.credit, "net": self.net}


def account_balance(*, account_id: int, at: datetime | None = None) -> dict[str, Balance]:
    """{currency: Balance} of one account; currencies it has nothing in are left out."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: {"due": 0, "written_off": 0, "credit": 0})
    rows = (Invoice.objects.filter(account_id=account_id, amount_due__gt=0,
                                   status__in=(*OWED_STATUSES, InvoiceStatus.UNCOLLECTIBLE))
            .values("currency", "status").annotate(total=Sum("amount_due")))
    for row in rows:
        bucket = "written_off" if row["status"] == InvoiceStatus.UNCOLLECTIBLE else "due"
        sums[row["currency"]][bucket] += row["total"]
    for currency, amount in credit_balance(account_id=account_id, at=at).items():
        if amount:
            sums[currency]["credit"] += amount
    return {currency: Balance(currency=currency, **parts) for currency, parts in sorted(sums.items())}
